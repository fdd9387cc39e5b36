import Foundation
internal import JWTKit

/// The claim policy: `exp` required, `nbf` honoured, both with leeway for clock skew between the
/// issuer and us; `iss` and `aud` checked when configured.
struct ClaimRules: Sendable {
    static let leeway: TimeInterval = 30

    let issuer: String?
    let audience: String?

    func check(_ claims: TokenClaims, now: Date) throws(JWTRejection) {
        // A token without expiry would be valid forever once leaked.
        guard let exp = claims.exp else { throw .missingExpiry }
        do {
            // jwt-kit's own comparisons, shifted by the leeway: valid while now - 30 s < exp ...
            try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-Self.leeway))
        } catch {
            throw .expired
        }
        if let nbf = claims.nbf {
            do {
                // ... and once nbf < now + 30 s.
                try nbf.verifyNotBefore(currentDate: now.addingTimeInterval(Self.leeway))
            } catch {
                throw .notYetValid
            }
        }
        if let issuer {
            guard claims.iss?.value == issuer else { throw .wrongIssuer }
        }
        if let audience {
            guard let aud = claims.aud, (try? aud.verifyIntendedAudience(includes: audience)) != nil else {
                throw .wrongAudience
            }
        }
    }
}
