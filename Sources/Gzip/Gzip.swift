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

/// gzip of a body handed over in pieces (as a renderer writes it), so that the whole
/// uncompressed body never exists at once. Used by one thread, once: `append` the pieces, then
/// `finish`.
public final class GzipStream {
    private var stream: UnsafeMutablePointer<slx_gzip_stream>?

    public init(level: Int32 = 1) {
        stream = slx_gzip_stream_new(level)
    }

    deinit { if let stream { slx_gzip_stream_free(stream) } }

    public func append(_ bytes: [UInt8]) {
        guard let stream else { return }
        _ = bytes.withUnsafeBufferPointer { slx_gzip_stream_write(stream, $0.baseAddress, $0.count, Z_NO_FLUSH) }
    }

    /// The compressed body, or nil when zlib failed.
    public func finish() -> [UInt8]? {
        guard let stream else { return nil }
        self.stream = nil
        var out: UnsafeMutablePointer<UInt8>?
        var outLength = 0
        guard slx_gzip_stream_finish(stream, &out, &outLength) == 0, let out else { return nil }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLength))
    }
}
