import Foundation
import JWTKit
import Testing

@testable import Auth

@Suite("JWT with a JWKS file")
struct JWKSTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    static func rsaJWK(publicPath: String, kid: String?, alg: String? = "RS256", extra: String = "") throws -> String {
        let key = try Insecure.RSA.PublicKey(pem: String(contentsOfFile: publicPath, encoding: .utf8))
        let (n, e) = try key.getKeyPrimitives()
        let kidField = kid.map { #""kid":"\#($0)","# } ?? ""
        let algField = alg.map { #""alg":"\#($0)","# } ?? ""
        return #"{"kty":"RSA",\#(kidField)\#(algField)\#(extra)"use":"sig","n":"\#(Tokens.b64(n))","e":"\#(Tokens.b64(e))"}"#
    }

    static func ecJWK(publicPath: String, kid: String, crv: String = "P-256", alg: String? = nil) throws -> String {
        let key = try ES256PublicKey(pem: String(contentsOfFile: publicPath, encoding: .utf8))
        let (x, y) = key.parameters!
        let algField = alg.map { #""alg":"\#($0)","# } ?? ""
        return #"{"kty":"EC","kid":"\#(kid)",\#(algField)"crv":"\#(crv)","x":"\#(x)","y":"\#(y)"}"#
    }

    func load(_ keys: [String]) throws -> Credentials {
        let path = try dir.write("jwks.json", #"{"keys":[\#(keys.joined(separator: ","))]}"#)
        return try Fixtures.load(AuthSettings(jwtJWKSFile: path))
    }

    @Test func keysAreChosenByKid() async throws {
        let a = try OpenSSL.makeRSA("a", in: dir)
        let b = try OpenSSL.makeRSA("b", in: dir)
        let ec = try OpenSSL.makeEC("ec", curve: "P-256", in: dir)
        let credentials = try load([
            try Self.rsaJWK(publicPath: a.publicPath, kid: "key-a"),
            try Self.rsaJWK(publicPath: b.publicPath, kid: "key-b", alg: "PS256"),
            try Self.ecJWK(publicPath: ec.publicPath, kid: "key-ec"),
            // Skipped, not errors: an encryption key and key types we do not verify with.
            #"{"kty":"RSA","kid":"enc","use":"enc","alg":"RSA-OAEP-256","n":"AQAB","e":"AQAB"}"#,
            #"{"kty":"oct","kid":"sym","k":"c2VjcmV0"}"#,
            #"{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        ])
        func decision(_ token: String) -> AuthDecision { credentials.authorize(authorization: "Bearer \(token)") }

        #expect(decision(try await Tokens.rsa(a.privatePEM, kid: "key-a")) == .allowed)
        #expect(decision(try await Tokens.rsa(b.privatePEM, pss: true, kid: "key-b")) == .allowed)
        #expect(decision(try await Tokens.es256(ec.privatePEM, kid: "key-ec")) == .allowed)
        // No kid: every key of the token's alg is tried.
        #expect(decision(try await Tokens.rsa(a.privatePEM)) == .allowed)
        #expect(decision(try await Tokens.es256(ec.privatePEM)) == .allowed)

        // A's token claiming B's kid, and an unknown kid, are refused.
        #expect(decision(try await Tokens.rsa(a.privatePEM, kid: "key-b")) == .invalid)
        #expect(decision(try await Tokens.rsa(a.privatePEM, kid: "key-zzz")) == .invalid)
        // The JWK's alg binds it: B is PS256 only, A is RS256 only.
        #expect(decision(try await Tokens.rsa(b.privatePEM, kid: "key-b")) == .invalid)
        #expect(decision(try await Tokens.rsa(a.privatePEM, pss: true, kid: "key-a")) == .invalid)
        #expect(decision(try await Tokens.rsa(a.privatePEM, .sha512, kid: "key-a")) == .invalid)
        let verifier = try #require(credentials.jwt)
        let psWithKidA = try await Tokens.rsa(a.privatePEM, pss: true, kid: "key-a")
        #expect(throws: JWTRejection.noKeyForAlgorithm) { try verifier.verify(psWithKidA, now: Date()) }
    }

    @Test func rsaJWKWithoutAlgAcceptsEveryRSAAlgorithm() async throws {
        let a = try OpenSSL.makeRSA("a", in: dir)
        let credentials = try load([try Self.rsaJWK(publicPath: a.publicPath, kid: "a", alg: nil)])
        #expect(credentials.authorize(authorization: "Bearer \(try await Tokens.rsa(a.privatePEM, kid: "a"))") == .allowed)
        #expect(credentials.authorize(authorization: "Bearer \(try await Tokens.rsa(a.privatePEM, pss: true, .sha384))") == .allowed)
        // HS256 "signed" with the JWK's public key bytes: key confusion again.
        let forged = try Tokens.handMadeHMAC(secret: Array(try Self.rsaJWK(publicPath: a.publicPath, kid: "a").utf8), in: dir)
        #expect(credentials.authorize(authorization: "Bearer \(forged)") == .invalid)
    }

    @Test func badJWKSFilesAreConfigErrors() throws {
        let a = try OpenSSL.makeRSA("a", in: dir)
        let ec = try OpenSSL.makeEC("ec", curve: "P-256", in: dir)
        let cases: [(String, String)] = [
            ("not json", "not a JWKS document"),
            (#"{"keys":{}}"#, "not a JWKS document"),
            (#"[]"#, "not a JWKS document"),
            (#"{"keys":[]}"#, "holds no RSA or EC signing key"),
            (#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, "holds no RSA or EC signing key"),
            (#"{"keys":[{"kty":"RSA","kid":"x","n":"AQAB"}]}"#, #"key 0 (kid "x"): an RSA key needs "n" and "e""#),
            (#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#, "not a usable RSA public key"),
            (#"{"keys":[\#(try Self.rsaJWK(publicPath: a.publicPath, kid: "h", alg: "HS256"))]}"#, "cannot be used with alg HS256"),
            (#"{"keys":[\#(try Self.rsaJWK(publicPath: a.publicPath, kid: "d", extra: #""d":"AQAB","#))]}"#, "private key material"),
            (#"{"keys":[\#(try Self.ecJWK(publicPath: ec.publicPath, kid: "e", alg: "ES384"))]}"#, "alg ES384 does not match curve P-256"),
            (#"{"keys":[\#(try Self.ecJWK(publicPath: ec.publicPath, kid: "e", crv: "P-384"))]}"#, "not a point on P-384"),
            (#"{"keys":[\#(try Self.ecJWK(publicPath: ec.publicPath, kid: "e", crv: "secp256k1"))]}"#, "unsupported EC curve"),
        ]
        for (json, expected) in cases {
            let path = try dir.write("jwks.json", json)
            let error = try #require(Fixtures.loadError(AuthSettings(jwtJWKSFile: path)), "\(json.prefix(40))")
            #expect(error.flag == "--auth.jwt.jwks-file")
            #expect(error.problem.contains(expected), "\(error)")
        }
    }
}
