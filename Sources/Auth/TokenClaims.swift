import Foundation
internal import JWTKit

/// The registered claims this exporter checks, decoded with jwt-kit's claim types (so `aud` may
/// be a string or an array, and dates are NumericDate seconds). Other claims are ignored.
struct TokenClaims: Decodable {
    let exp: ExpirationClaim?
    let nbf: NotBeforeClaim?
    let iss: IssuerClaim?
    let aud: AudienceClaim?

    /// Decodes the payload segment. Only called once the signature has been verified.
    init(payloadSegment: Substring) throws(JWTRejection) {
        guard let bytes = Base64URL.decode(payloadSegment) else { throw .malformed }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            self = try decoder.decode(TokenClaims.self, from: Data(bytes))
        } catch {
            throw .malformed
        }
        // A claim given twice is refused, not read as its first value (UniqueMembers says why).
        guard UniqueMembers.check(bytes) else { throw .malformed }
    }
}
