import Foundation
import JWTKit
import Testing

@testable import Auth

@Suite("JWT with an HMAC secret")
struct HMACSecretTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    /// Credentials from a secret file holding `secret` plus a trailing newline, as editors write it.
    func credentials(secret: [UInt8], issuer: String? = nil, audience: String? = nil) throws -> Credentials {
        let path = try dir.write("secret", bytes: secret + Array("\n".utf8))
        return try Fixtures.load(AuthSettings(jwtHMACSecretFile: path, jwtIssuer: issuer, jwtAudience: audience))
    }

    @Test func acceptsHS256HS384HS512WithA64ByteSecret() async throws {
        let secret = Fixtures.secret(64)
        let credentials = try credentials(secret: secret)
        for digest in [DigestAlgorithm.sha256, .sha384, .sha512] {
            let token = try await Tokens.hmac(secret, digest)
            #expect(credentials.authorize(authorization: "Bearer \(token)") == .allowed)
        }
        #expect(credentials.jwt?.keys.map(\.algorithm) == [.hs256, .hs384, .hs512])
    }

    @Test func trailingNewlineIsNotPartOfTheSecret() async throws {
        let secret = Fixtures.secret(32)
        let path = try dir.write("secret", bytes: secret + Array("\r\n\n".utf8))
        let credentials = try Fixtures.load(AuthSettings(jwtHMACSecretFile: path))
        let token = try await Tokens.hmac(secret)
        #expect(credentials.authorize(authorization: "Bearer \(token)") == .allowed)
        let withNewline = try await Tokens.hmac(secret + Array("\n".utf8))
        #expect(credentials.authorize(authorization: "Bearer \(withNewline)") == .invalid)
    }

    @Test func wrongSecretIsRefused() async throws {
        let credentials = try credentials(secret: Fixtures.secret(32))
        let token = try await Tokens.hmac(Fixtures.secret(32))
        #expect(credentials.authorize(authorization: "Bearer \(token)") == .invalid)
        #expect(throws: JWTRejection.badSignature) { try credentials.jwt?.verify(token, now: Date()) }
    }

    /// The policy chosen in HMACSecretFile: under 32 bytes refused at load with the minimum
    /// named; 32 to 47 bytes verify HS256 only, 48 to 63 HS256 and HS384, 64 and more all three.
    @Test func shortSecretIsAConfigErrorThatNamesTheMinimum() throws {
        let error = try #require(
            Fixtures.loadError(AuthSettings(jwtHMACSecretFile: try dir.write("short", "only-16-bytes-ok\n"))))
        #expect(error.flag == "--auth.jwt.hmac-secret-file")
        #expect(error.problem.contains("shorter than 32 bytes"))
        #expect(!error.description.contains("only-16-bytes-ok"))
        // 31 bytes is still too short; a newline does not count towards the length.
        let almost = try dir.write("almost", bytes: Fixtures.secret(31) + Array("\n".utf8))
        #expect(Fixtures.loadError(AuthSettings(jwtHMACSecretFile: almost))?.problem.contains("32 bytes") == true)
    }

    @Test(arguments: [(32, ["HS256"]), (47, ["HS256"]), (48, ["HS256", "HS384"]), (64, ["HS256", "HS384", "HS512"])])
    func shorterSecretsEnableOnlyTheAlgorithmsTheyAreLongEnoughFor(length: Int, accepted: [String]) throws {
        let secret = Fixtures.secret(length)
        let credentials = try credentials(secret: secret)
        // Made with openssl: jwt-kit would assert on HS512 with a 32-byte key.
        for (alg, digest) in [("HS256", "sha256"), ("HS384", "sha384"), ("HS512", "sha512")] {
            let token = try Tokens.handMadeHMAC(alg: alg, digest: digest, secret: secret, in: dir)
            let expected: AuthDecision = accepted.contains(alg) ? .allowed : .invalid
            #expect(credentials.authorize(authorization: "Bearer \(token)") == expected, "\(alg) with \(length) bytes")
        }
    }

    @Test func hmacTokenIsRefusedWhenOnlyAnRSAKeyIsConfigured() async throws {
        let rsa = try OpenSSL.makeRSA("rsa", in: dir)
        let credentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: rsa.publicPath))
        let token = try await Tokens.hmac(Fixtures.secret(32))
        #expect(credentials.authorize(authorization: "Bearer \(token)") == .invalid)
        #expect(throws: JWTRejection.noKeyForAlgorithm) { try credentials.jwt?.verify(token, now: Date()) }
    }

    @Test func emptyOrMissingSecretFile() throws {
        for (path, expected) in [
            (try dir.write("empty", ""), "is empty"), (dir.path + "/nope", "no such file"),
            (try dir.write("newlines", "\n\n"), "shorter than 32 bytes"),
        ] {
            let error = try #require(Fixtures.loadError(AuthSettings(jwtHMACSecretFile: path)))
            #expect(error.flag == "--auth.jwt.hmac-secret-file")
            #expect(error.problem.contains(expected), "\(error)")
        }
    }
}
