internal import CZlib
import Foundation

/// gzip (RFC 1952) of `bytes` with zlib, or nil when zlib fails. Level 1 is the usual choice
/// for large metric bodies: most of the size win for a fraction of level 6's CPU.
public func gzip(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8]? {
    guard bytes.count < Int(UInt32.max) else { return nil }  // zlib's avail_in is 32-bit
    var out: UnsafeMutablePointer<UInt8>?
    var outLength = 0
    let rc = bytes.withUnsafeBufferPointer { input in
        slx_gzip(input.baseAddress, input.count, level, &out, &outLength)
    }
    guard rc == 0, let out else { return nil }
    defer { free(out) }
    return Array(UnsafeBufferPointer(start: out, count: outLength))
}
