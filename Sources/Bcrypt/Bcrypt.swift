internal import CCrypt
import Foundation

/// The bcrypt hash of `password` with the salt and cost of `settings` (an existing `$2a$`,
/// `$2b$` or `$2y$` hash), as libcrypt's reentrant `crypt_rn` computes it with a scratch area
/// per call, so it is safe from any thread. Nil for a malformed hash or a NUL byte. It costs
/// what the cost factor says (tens of milliseconds at 10). The comparison with the stored
/// hash, in constant time, is the caller's (Auth's): this wrapper only hashes.
public func bcryptHash(password: String, settings: String) -> [UInt8]? {
    guard settings.utf8.count > 7, !settings.utf8.contains(0), !password.utf8.contains(0),
          settings.hasPrefix("$2a$") || settings.hasPrefix("$2b$") || settings.hasPrefix("$2y$")
    else { return nil }
    let size = slx_crypt_data_size()
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    scratch.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    defer {
        explicit_bzero(scratch, size)
        scratch.deallocate()
    }
    // crypt_rn returns NULL on failure; a "*0"/"*1" failure token never equals a "$2" hash.
    guard let result = crypt_rn(password, settings, scratch, Int32(size)) else { return nil }
    return Array(UnsafeRawBufferPointer(start: result, count: strlen(result)))
}
