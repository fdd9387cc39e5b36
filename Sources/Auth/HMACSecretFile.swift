internal import JWTKit

/// `--auth.jwt.hmac-secret-file`: one shared secret for HS256, HS384 and HS512.
enum HMACSecretFile {
    /// The secret is the file's bytes less trailing CR/LF (editors add one; a secret never ends
    /// in a newline on purpose).
    ///
    /// Length policy: RFC 7518 §3.2 wants a key at least as long as the hash output, and jwt-kit
    /// asserts it. A secret shorter than 32 bytes is refused outright. A longer one enables only
    /// the HS algorithms it is long enough for (32 bytes: HS256; 48: also HS384; 64: all three):
    /// refusing a 32-byte secret because it is too short for HS512 would break the common HS256
    /// setup for an algorithm nobody uses with it, while accepting HS512 with it would weaken it.
    static func load(path: String) throws(AuthConfigError) -> [VerificationKeySpec] {
        let flag = AuthSettings.Flag.jwtHMACSecretFile
        var secret = try CredentialFile.read(path, flag: flag)
        while let last = secret.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            secret.removeLast()
        }
        let shortest = JWSAlgorithm.hs256.minimumHMACKeyBytes ?? 32
        guard secret.count >= shortest else {
            throw AuthConfigError(
                flag: flag,
                problem: "the secret in \"\(path)\" is shorter than \(shortest) bytes, the minimum for HS256 "
                    + "(48 for HS384, 64 for HS512); generate one with `openssl rand -base64 48`")
        }
        let key = HMACKey(from: secret)
        return JWSAlgorithm.hmacFamily
            .filter { secret.count >= ($0.minimumHMACKeyBytes ?? .max) }
            .map { VerificationKeySpec(algorithm: $0, kid: nil, material: .hmac(key), flag: flag) }
    }
}
