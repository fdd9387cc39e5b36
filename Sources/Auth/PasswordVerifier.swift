/// Verifies a password against a bcrypt hash (`$2y$`/`$2b$`).
public typealias PasswordVerifier = @Sendable (_ password: String, _ hash: String) -> Bool

/// Computes the bcrypt hash of a password with the salt and cost of an existing hash, or nil.
/// Injected (the implementation is the `Bcrypt` wrapper of libcrypt) so that Auth stays free of C.
public typealias BcryptHasher = @Sendable (_ password: String, _ settings: String) -> [UInt8]?

/// The verifier over a hasher: the computed hash compared with the stored one in constant time.
public func bcryptVerifier(_ hasher: @escaping BcryptHasher) -> PasswordVerifier {
    { password, hash in
        guard let computed = hasher(password, hash) else { return false }
        return StaticBearerTokens.constantTimeEquals(computed, Array(hash.utf8))
    }
}
