internal import JWTKit

/// One loaded key for exactly one algorithm: jwt-kit's verifier plus what selects it.
///
/// A key is bound to a single `alg` when it is loaded, and a token is only ever checked with keys
/// of the `alg` its header names. That is what refuses algorithm confusion (an HS256 token
/// "signed" with the RSA public key as its secret finds no HS256 key), which jwt-kit's own
/// `JWTKeyCollection` would not do: without a `kid` it takes the default key whatever the `alg`.
struct VerificationKey: Sendable {
    let algorithm: JWSAlgorithm
    /// The JWKS `kid`; nil for keys from the secret or PEM file.
    let kid: String?
    /// jwt-kit's algorithm object. Its `verify(_:signs:)` is synchronous and thread-safe (it
    /// holds only immutable key material), so requests call it directly on their own thread.
    let verifier: any JWTAlgorithm

    /// Whether a token with this header may be checked with this key: same `alg`, and the same
    /// `kid` when both name one. A token without `kid` is tried against every key of its `alg`.
    func accepts(alg: JWSAlgorithm, kid tokenKID: String?) -> Bool {
        guard alg == algorithm else { return false }
        guard let kid, let tokenKID else { return true }
        return kid == tokenKID
    }
}

extension VerificationKey: CustomStringConvertible, CustomReflectable {
    var description: String { "VerificationKey(\(algorithm.rawValue), kid: \(kid ?? "none"), material redacted)" }
    var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm, "kid": kid as Any]) }
}
