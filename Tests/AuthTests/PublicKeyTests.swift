import Foundation
import JWTKit
import Testing

@testable import Auth

@Suite("JWT with a PEM public key")
struct PublicKeyTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    func bearer(_ token: String) -> String { "Bearer \(token)" }

    @Test func rsaKeyVerifiesRS256AndPS256() async throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: rsa.publicPath))
        #expect(credentials.authorize(authorization: bearer(try await Tokens.rsa(rsa.privatePEM))) == .allowed)
        #expect(credentials.authorize(authorization: bearer(try await Tokens.rsa(rsa.privatePEM, pss: true))) == .allowed)
        #expect(credentials.authorize(authorization: bearer(try await Tokens.rsa(rsa.privatePEM, .sha512))) == .allowed)
        #expect(credentials.authorize(authorization: bearer(try await Tokens.rsa(rsa.privatePEM, pss: true, .sha384))) == .allowed)
        #expect(Set(credentials.jwt?.keys.map(\.algorithm.rawValue) ?? []) == ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
    }

    @Test func tokenOfAnotherRSAKeyIsRefused() async throws {
        let mine = try OpenSSL.makeRSA("mine", in: dir)
        let theirs = try OpenSSL.makeRSA("theirs", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: mine.publicPath))
        let token = try await Tokens.rsa(theirs.privatePEM)
        #expect(credentials.authorize(authorization: bearer(token)) == .invalid)
        #expect(throws: JWTRejection.badSignature) { try credentials.jwt?.verify(token, now: Date()) }
    }

    /// An RS256 token relabelled PS256 (or the reverse) must not pass: padding is part of the alg.
    @Test func paddingIsPartOfTheAlgorithm() async throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: rsa.publicPath))
        let rs256 = try await Tokens.rsa(rsa.privatePEM)
        let relabelled = Tokens.replaceHeader(rs256, with: #"{"alg":"PS256","typ":"JWT"}"#)
        #expect(credentials.authorize(authorization: bearer(relabelled)) == .invalid)
    }

    /// Key confusion: an HS256 token whose HMAC key is the RSA public key PEM, which an
    /// attacker can read. With only the RSA key configured there is no HS256 key to try.
    @Test func keyConfusionIsRefused() async throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: rsa.publicPath))
        let publicPEM = try dir.read("app.pub")
        for secret in [publicPEM, publicPEM.trimmingCharacters(in: .newlines)] {
            let forged = try Tokens.handMadeHMAC(secret: Array(secret.utf8), in: dir)
            #expect(credentials.authorize(authorization: bearer(forged)) == .invalid)
            #expect(throws: JWTRejection.noKeyForAlgorithm) { try credentials.jwt?.verify(forged, now: Date()) }
        }
        // Also when an HMAC secret is configured alongside: the forged token meets only that secret.
        let both = try Fixtures.load(
            AuthSettings(jwtHMACSecretFile: try dir.write("secret", bytes: Fixtures.secret(32)), jwtPublicKeyFile: rsa.publicPath))
        let forged = try Tokens.handMadeHMAC(secret: Array(publicPEM.utf8), in: dir)
        #expect(throws: JWTRejection.badSignature) { try both.jwt?.verify(forged, now: Date()) }
    }

    @Test func ecP256KeyVerifiesES256Only() async throws {
        let ec = try OpenSSL.makeEC("ec", curve: "P-256", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: ec.publicPath))
        #expect(credentials.jwt?.keys.map(\.algorithm) == [.es256])
        let token = try await Tokens.es256(ec.privatePEM)
        #expect(credentials.authorize(authorization: bearer(token)) == .allowed)
        // The same signature claimed as ES384 or ES512 finds no key of that alg.
        for alg in ["ES384", "ES512", "RS256", "HS256"] {
            let relabelled = Tokens.replaceHeader(token, with: #"{"alg":"\#(alg)"}"#)
            #expect(throws: JWTRejection.noKeyForAlgorithm) { try credentials.jwt?.verify(relabelled, now: Date()) }
        }
    }

    @Test func ecP384KeyVerifiesES384() async throws {
        let ec = try OpenSSL.makeEC("ec", curve: "P-384", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: ec.publicPath))
        #expect(credentials.jwt?.keys.map(\.algorithm) == [.es384])
        let token = try await Tokens.es384(ec.privatePEM)
        #expect(credentials.authorize(authorization: bearer(token)) == .allowed)
        let other = try OpenSSL.makeEC("other", curve: "P-256", in: dir)
        #expect(credentials.authorize(authorization: bearer(try await Tokens.es256(other.privatePEM))) == .invalid)
    }

    @Test func ecP521KeyLoadsAsES512() throws {
        let ec = try OpenSSL.makeEC("ec", curve: "P-521", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: ec.publicPath))
        #expect(credentials.jwt?.keys.map(\.algorithm) == [.es512])
    }

    @Test func certificateHoldingTheKeyIsAccepted() async throws {
        try OpenSSL.makeSelfSignedCertificate("signer", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: dir.path + "/signer.crt"))
        let token = try await Tokens.rsa(try dir.read("signer.key"))
        #expect(credentials.authorize(authorization: bearer(token)) == .allowed)
    }

    @Test func unusableKeyFilesAreConfigErrors() throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        _ = try OpenSSL.makeRSA("small", bits: 1024, in: dir)
        _ = try OpenSSL.makeEC("k1", curve: "secp256k1", in: dir)
        try OpenSSL.run(["genpkey", "-algorithm", "ED25519", "-out", "ed.key"], in: dir.path)
        try OpenSSL.run(["pkey", "-in", "ed.key", "-pubout", "-out", "ed.pub"], in: dir.path)
        let cases: [(String, String)] = [
            (dir.path + "/app.key", "holds a private key"),
            (dir.path + "/small.pub", "at least 2048 bits"),
            (dir.path + "/k1.pub", "no usable public key"),
            (dir.path + "/ed.pub", "no usable public key"),
            (try dir.write("garbage.pem", "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"), "no usable public key"),
            (try dir.write("text", "hello\n"), "holds no PEM block"),
            (try dir.write("empty", ""), "is empty"),
            (dir.path + "/missing.pub", "no such file"),
        ]
        _ = rsa
        for (path, expected) in cases {
            let error = try #require(Fixtures.loadError(AuthSettings(jwtPublicKeyFile: path)), "\(path)")
            #expect(error.flag == "--auth.jwt.public-key-file")
            #expect(error.problem.contains(expected), "\(error)")
            #expect(!error.description.contains("MII"), "no key material in \(error)")
        }
    }
}
