import Foundation
import JWTKit
import Testing

@testable import Auth

/// exp, nbf, iss and aud, with real HS256 and RS256 tokens.
@Suite("JWT claims")
struct ClaimTests {
    let dir: TempDirectory
    let secret = Fixtures.secret(32)

    init() throws {
        dir = try TempDirectory()
    }

    func credentials(issuer: String? = nil, audience: String? = nil) throws -> Credentials {
        let path = try dir.write("secret", bytes: secret)
        return try Fixtures.load(AuthSettings(jwtHMACSecretFile: path, jwtIssuer: issuer, jwtAudience: audience))
    }

    func check(_ claims: TestClaims, _ credentials: Credentials) async throws -> JWTRejection? {
        let token = try await Tokens.hmac(secret, .sha256, claims)
        let decision = credentials.authorize(authorization: "Bearer \(token)")
        do {
            try credentials.jwt!.verify(token, now: Date())
            #expect(decision == .allowed)
            return nil
        } catch {
            #expect(decision == .invalid)
            return error
        }
    }

    func claims(exp: TimeInterval?, nbf: TimeInterval? = nil) -> TestClaims {
        let now = Date()
        return TestClaims(
            exp: exp.map { .init(value: now.addingTimeInterval($0)) },
            nbf: nbf.map { .init(value: now.addingTimeInterval($0)) })
    }

    @Test func expiry() async throws {
        let credentials = try credentials()
        #expect(try await check(claims(exp: 600), credentials) == nil)
        #expect(try await check(claims(exp: -10), credentials) == nil, "expired 10 s ago: within the leeway")
        #expect(try await check(claims(exp: -120), credentials) == .expired, "beyond the leeway")
        #expect(try await check(claims(exp: nil), credentials) == .missingExpiry)
    }

    @Test func notBefore() async throws {
        let credentials = try credentials()
        #expect(try await check(claims(exp: 600, nbf: -60), credentials) == nil)
        #expect(try await check(claims(exp: 600, nbf: 10), credentials) == nil, "10 s ahead: within the leeway")
        #expect(try await check(claims(exp: 600, nbf: 120), credentials) == .notYetValid)
    }

    /// The leeway is exactly 30 s, both ways: checked at fixed instants around the boundaries.
    @Test func leewayBoundaries() async throws {
        let credentials = try credentials()
        let exp = Date(timeIntervalSince1970: 2_000_000_000)
        let token = try await Tokens.hmac(secret, .sha256, TestClaims(exp: .init(value: exp), nbf: .init(value: exp.addingTimeInterval(-100))))
        let verifier = try #require(credentials.jwt)
        #expect(throws: Never.self) { try verifier.verify(token, now: exp.addingTimeInterval(29)) }
        #expect(throws: JWTRejection.expired) { try verifier.verify(token, now: exp.addingTimeInterval(30)) }
        #expect(throws: Never.self) { try verifier.verify(token, now: exp.addingTimeInterval(-129)) }
        #expect(throws: JWTRejection.notYetValid) { try verifier.verify(token, now: exp.addingTimeInterval(-130)) }
    }

    @Test func issuer() async throws {
        let credentials = try credentials(issuer: "https://app.example/")
        #expect(try await check(.valid(iss: "https://app.example/"), credentials) == nil)
        #expect(try await check(.valid(iss: "https://evil.example/"), credentials) == .wrongIssuer)
        #expect(try await check(.valid(iss: "https://app.example"), credentials) == .wrongIssuer)
        #expect(try await check(.valid(), credentials) == .wrongIssuer, "iss missing")
        // Not configured: any issuer is fine.
        #expect(try await check(.valid(iss: "https://evil.example/"), try self.credentials()) == nil)
    }

    @Test func audience() async throws {
        let credentials = try credentials(audience: "stream-lag-exporter")
        #expect(try await check(.valid(aud: "stream-lag-exporter"), credentials) == nil)
        #expect(try await check(.valid(aud: .init(value: ["web", "stream-lag-exporter"])), credentials) == nil,
                "an array containing it")
        #expect(try await check(.valid(aud: "web"), credentials) == .wrongAudience)
        #expect(try await check(.valid(aud: .init(value: ["web", "api"])), credentials) == .wrongAudience)
        #expect(try await check(.valid(aud: .init(value: [])), credentials) == .wrongAudience)
        #expect(try await check(.valid(), credentials) == .wrongAudience, "aud missing")
    }

    @Test func claimsAreCheckedForRSATokensToo() async throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let credentials = try Fixtures.load(
            AuthSettings(jwtPublicKeyFile: rsa.publicPath, jwtIssuer: "app", jwtAudience: "exporter"))
        let good = try await Tokens.rsa(rsa.privatePEM, .sha256, .valid(iss: "app", aud: "exporter"))
        #expect(credentials.authorize(authorization: "Bearer \(good)") == .allowed)
        let expired = try await Tokens.rsa(
            rsa.privatePEM, .sha256, TestClaims(exp: .init(value: Date().addingTimeInterval(-3600)), iss: "app", aud: "exporter"))
        #expect(credentials.authorize(authorization: "Bearer \(expired)") == .invalid)
        let wrongAudience = try await Tokens.rsa(rsa.privatePEM, .sha256, .valid(iss: "app", aud: "other"))
        #expect(credentials.authorize(authorization: "Bearer \(wrongAudience)") == .invalid)
    }

    @Test func claimsWithTheWrongTypeAreMalformed() throws {
        let credentials = try credentials()
        for payload in [#"{"exp":"tomorrow"}"#, #"{"exp":2000000000,"nbf":"now"}"#, #"{"exp":2000000000,"aud":42}"#, "[]", "null"] {
            let token = try Tokens.handMadeHMAC(secret: secret, payload: payload, in: dir)
            #expect(throws: JWTRejection.malformed, "\(payload)") { try credentials.jwt?.verify(token, now: Date()) }
        }
    }

    @Test func issuerOrAudienceWithoutAKeyIsAConfigError() throws {
        let error = try #require(Fixtures.loadError(AuthSettings(jwtIssuer: "app")))
        #expect(error.flag == "--auth.jwt.issuer")
        #expect(error.problem.contains("needs a JWT key"))
        #expect(Fixtures.loadError(AuthSettings(jwtAudience: "x"))?.flag == "--auth.jwt.audience")
        let path = try dir.write("secret", bytes: secret)
        #expect(Fixtures.loadError(AuthSettings(jwtHMACSecretFile: path, jwtAudience: ""))?.problem == "must not be empty")
    }
}
