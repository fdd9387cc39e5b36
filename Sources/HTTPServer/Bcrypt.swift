internal import CMicroHTTPD
import Foundation

/// Whether `password` matches the bcrypt `hash` (`$2a$`, `$2b$` or `$2y$`), as
/// exporter-toolkit's `basic_auth_users` stores them. Uses libcrypt's reentrant `crypt_rn` with
/// a scratch area per call, so it is safe from any thread; it costs what the hash's cost factor
/// says (tens of milliseconds at 10), so callers that verify often should cache a success.
/// A malformed hash, or a password or hash with a NUL byte, is simply `false`.
public func bcryptVerify(password: String, hash: String) -> Bool {
    let expected = Array(hash.utf8)
    guard expected.count > 7, !expected.contains(0), !password.utf8.contains(0),
          hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$")
    else { return false }

    let size = slx_crypt_data_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    scratch.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    defer {
        explicit_bzero(scratch, size)
        scratch.deallocate()
    }
    guard let result = crypt_rn(password, hash, scratch, Int32(size)) else { return false }
    // crypt_rn returns NULL on failure; a "*0"/"*1" failure token cannot equal a "$2" hash anyway.
    let computed = UnsafeRawBufferPointer(start: result, count: strlen(result))
    return constantTimeEqual(computed, expected)
}

/// Equal length and bytes, in time that depends only on the lengths.
private func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
