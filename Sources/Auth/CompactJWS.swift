import Foundation

/// A compact-serialised JWS split into its parts, with the header decoded. Nothing here is
/// trusted yet: this only reads what is needed to pick a key (`alg`, `kid`).
struct CompactJWS {
    /// The token header fields that matter. Decoded by us, from the header segment alone, so
    /// that the key is chosen by `alg` before any signature or payload is looked at.
    struct Header: Decodable {
        let alg: String
        let kid: String?
        /// RFC 7515 §4.1.11: extensions the recipient must understand. We understand none, so any
        /// `crit` (such as RFC 7797's unencoded payloads) refuses the token.
        let crit: [String]?
    }

    let algorithm: JWSAlgorithm
    let kid: String?
    /// `header.payload`, the bytes the signature covers.
    let signingInput: ArraySlice<UInt8>
    let payloadSegment: Substring
    let signature: [UInt8]

    init(_ token: some StringProtocol) throws(JWTRejection) {
        guard token.utf8.count <= JWTVerifier.maximumTokenBytes else { throw .oversized }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else { throw .malformed }
        guard let headerBytes = Base64URL.decode(segments[0]),
            let signature = Base64URL.decode(segments[2]),
            Base64URL.decode(segments[1]) != nil
        else { throw .malformed }

        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch {
            throw .malformed
        }
        guard UniqueMembers.check(headerBytes) else { throw .malformed }
        guard header.crit == nil else { throw .criticalHeader }
        // "none", lower-case spellings and every algorithm we hold no key kind for end here.
        guard let algorithm = JWSAlgorithm(rawValue: header.alg) else { throw .unsupportedAlgorithm }

        let input = Array(token.utf8)
        let headerLength = segments[0].utf8.count
        let payloadLength = segments[1].utf8.count
        self.algorithm = algorithm
        self.kid = header.kid
        self.signingInput = input[0..<(headerLength + 1 + payloadLength)]
        self.payloadSegment = Substring(segments[1])
        self.signature = signature
    }
}
