import Foundation
internal import JWTKit

/// Verifies compact JWTs against the loaded keys and the claim rules, synchronously: it runs on
/// libmicrohttpd's threads, one call per request, and touches no shared mutable state.
struct JWTVerifier: Sendable {
    /// Real tokens are well under 2 KiB; anything over 8 KiB is refused before any decoding.
    static let maximumTokenBytes = 8192

    let keys: [VerificationKey]
    let rules: ClaimRules

    /// Succeeds when some key of the token's `alg` (and `kid`, if both name one) verifies the
    /// signature and the claims pass. The payload is decoded only after a signature verified.
    func verify(_ token: some StringProtocol, now: Date) throws(JWTRejection) {
        let jws = try CompactJWS(token)
        let candidates = keys.filter { $0.accepts(alg: jws.algorithm, kid: jws.kid) }
        guard !candidates.isEmpty else { throw .noKeyForAlgorithm }
        // jwt-kit's verifiers throw only on malformed input (an ECDSA signature of the wrong
        // length, for one); that is a failed signature like any other.
        let verified = candidates.contains { key in
            (try? key.verifier.verify(jws.signature, signs: jws.signingInput)) == true
        }
        guard verified else { throw .badSignature }
        try rules.check(TokenClaims(payloadSegment: jws.payloadSegment), now: now)
    }
}
