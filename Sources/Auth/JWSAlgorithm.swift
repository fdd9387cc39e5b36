internal import JWTKit

/// The signature algorithms a token may use, by their JOSE `alg` names (case-sensitive, RFC 7518).
/// `none` and everything else are not representable, so they can never select a key.
enum JWSAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    case es256 = "ES256", es384 = "ES384", es512 = "ES512"

    /// What an RSA key verifies: PKCS#1 v1.5 and PSS with each hash.
    static let rsaFamily: [JWSAlgorithm] = [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512]
    static let hmacFamily: [JWSAlgorithm] = [.hs256, .hs384, .hs512]

    var digest: DigestAlgorithm {
        switch self {
        case .hs256, .rs256, .ps256, .es256: .sha256
        case .hs384, .rs384, .ps384, .es384: .sha384
        case .hs512, .rs512, .ps512, .es512: .sha512
        }
    }

    /// The HMAC key length RFC 7518 §3.2 requires: at least the hash output. jwt-kit asserts it
    /// in debug builds, so a shorter secret must never reach it.
    var minimumHMACKeyBytes: Int? {
        switch self {
        case .hs256: 32
        case .hs384: 48
        case .hs512: 64
        default: nil
        }
    }

    var isPSS: Bool { self == .ps256 || self == .ps384 || self == .ps512 }
}
