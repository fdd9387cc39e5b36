import Foundation
import JWTKit

/// The claims the tests put in tokens. `verify` is empty: checking is the code under test's job.
struct TestClaims: JWTPayload {
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var sub: SubjectClaim? = "scraper"
    var pad: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Valid for ten minutes from now, unless changed.
    static func valid(iss: String? = nil, aud: AudienceClaim? = nil) -> TestClaims {
        TestClaims(exp: .init(value: Date().addingTimeInterval(600)), iss: iss.map(IssuerClaim.init(value:)), aud: aud)
    }
}

/// Tokens signed with jwt-kit, and hand-made ones for what jwt-kit would never produce.
enum Tokens {
    static func hmac(_ secret: [UInt8], _ digest: DigestAlgorithm = .sha256, _ claims: TestClaims = .valid(), kid: String? = nil)
        async throws -> String
    {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: digest)
        return try await keys.sign(claims, kid: kid.map(JWKIdentifier.init(string:)))
    }

    static func rsa(_ privatePEM: String, pss: Bool = false, _ digest: DigestAlgorithm = .sha256,
                    _ claims: TestClaims = .valid(), kid: String? = nil) async throws -> String
    {
        let key = try Insecure.RSA.PrivateKey(pem: privatePEM)
        let keys = JWTKeyCollection()
        if pss {
            await keys.add(pss: key, digestAlgorithm: digest)
        } else {
            await keys.add(rsa: key, digestAlgorithm: digest)
        }
        return try await keys.sign(claims, kid: kid.map(JWKIdentifier.init(string:)))
    }

    static func es256(_ privatePEM: String, _ claims: TestClaims = .valid(), kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: privatePEM))
        return try await keys.sign(claims, kid: kid.map(JWKIdentifier.init(string:)))
    }

    static func es384(_ privatePEM: String, _ claims: TestClaims = .valid()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES384PrivateKey(pem: privatePEM))
        return try await keys.sign(claims)
    }

    // MARK: hand-made

    static func b64(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func b64(_ text: String) -> String { b64(Array(text.utf8)) }

    static func unb64(_ text: some StringProtocol) -> [UInt8] {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s += String(repeating: "=", count: (4 - s.utf8.count % 4) % 4)
        return [UInt8](Data(base64Encoded: s)!)
    }

    static func payloadJSON(exp: Date = Date().addingTimeInterval(600)) -> String {
        #"{"sub":"scraper","exp":\#(Int(exp.timeIntervalSince1970))}"#
    }

    /// `alg: none` with an empty signature, the classic bypass.
    static func unsecured(alg: String = "none") -> String {
        b64(#"{"alg":"\#(alg)","typ":"JWT"}"#) + "." + b64(payloadJSON()) + "."
    }

    /// An HS256 token whose HMAC key is `secret` (e.g. the RSA public key PEM: key confusion),
    /// made with openssl so that any secret, even a short one, can be used.
    static func handMadeHMAC(alg: String = "HS256", digest: String = "sha256", secret: [UInt8],
                             payload: String = payloadJSON(), in dir: TempDirectory) throws -> String
    {
        let input = b64(#"{"alg":"\#(alg)","typ":"JWT"}"#) + "." + b64(payload)
        let mac = try OpenSSL.hmac(digest, key: secret, data: Array(input.utf8), in: dir)
        return input + "." + b64(mac)
    }

    /// The token with its payload's JSON replaced by `edit(json)`, signature kept.
    static func tamperPayload(_ token: String, _ edit: (String) -> String) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        let json = String(decoding: unb64(parts[1]), as: UTF8.self)
        return parts[0] + "." + b64(edit(json)) + "." + parts[2]
    }

    /// The token with one bit of its signature's first byte flipped (a real change of the bytes,
    /// not a re-spelling of the same bytes).
    static func tamperSignature(_ token: String) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        var signature = unb64(parts[2])
        signature[0] ^= 0x01
        return parts[0] + "." + parts[1] + "." + b64(signature)
    }

    /// The token with its header's JSON replaced, signature kept.
    static func replaceHeader(_ token: String, with json: String) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        return b64(json) + "." + parts[1] + "." + parts[2]
    }

    static func header(of token: String) -> String {
        String(decoding: unb64(token.split(separator: ".")[0]), as: UTF8.self)
    }
}
