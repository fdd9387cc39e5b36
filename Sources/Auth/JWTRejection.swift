/// Why a token was refused. Internal only: tests assert on it so that, say, a tampered payload
/// is shown to fail on its signature and not by accident; `authorize` folds all of them into
/// `.invalid` so a client never learns which check failed. Carries no token data.
enum JWTRejection: Error, Equatable, Sendable {
    case oversized
    case malformed
    case unsupportedAlgorithm
    case criticalHeader
    case noKeyForAlgorithm
    case badSignature
    case missingExpiry
    case expired
    case notYetValid
    case wrongIssuer
    case wrongAudience
}
