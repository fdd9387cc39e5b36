import Foundation
import Testing

@testable import Auth

/// SIGHUP reloads: an emptied or deleted credential file revokes what it held, a malformed one is
/// refused, and once credentials are required a reload can never turn the requirement off.
@Suite("Reloading credentials")
struct ReloadTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    private func reload(_ settings: AuthSettings, replacing previous: Credentials) throws -> Credentials {
        try Credentials.reload(settings, verifier: Fixtures.bcrypt, replacing: previous)
    }

    private func reloadError(_ settings: AuthSettings, replacing previous: Credentials) -> AuthConfigError? {
        do {
            _ = try reload(settings, replacing: previous)
            return nil
        } catch {
            return error as? AuthConfigError
        }
    }

    @Test(arguments: ["", "\n\n", "# revoked\n", "  \n# all gone\n"])
    func anEmptiedTokensFileRevokesItsTokens(contents: String) throws {
        let path = try dir.write("tokens", "alpha-token\n")
        let settings = AuthSettings(bearerTokensFile: path)
        let start = try Fixtures.load(settings)
        #expect(start.required && !start.failsClosed)
        try dir.write("tokens", contents)
        // At start the same file is an error naming the flag...
        #expect(Fixtures.loadError(settings)?.flag == "--auth.bearer-tokens-file")
        // ...on a reload it revokes: nothing left, so the protected paths fail closed.
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.failsClosed)
        #expect(reloaded.revoked.map(\.flag) == ["--auth.bearer-tokens-file"])
        #expect(reloaded.authorize(authorization: "Bearer alpha-token") == .invalid)
        #expect(reloaded.authorize(authorization: nil) == .missing)
        #expect(!"\(reloaded.revoked)".contains("alpha-token"))
    }

    @Test func aDeletedTokensFileRevokesItsTokens() throws {
        let path = try dir.write("tokens", "alpha-token\n")
        let settings = AuthSettings(bearerTokensFile: path)
        let start = try Fixtures.load(settings)
        try FileManager.default.removeItem(atPath: path)
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.failsClosed)
        #expect(reloaded.authorize(authorization: "Bearer alpha-token") == .invalid)
        #expect(reloaded.revoked.first?.problem.contains("no longer exists") == true)

        // A later reload that brings a token back restores normal checking.
        try dir.write("tokens", "beta-token\n")
        let restored = try reload(settings, replacing: reloaded)
        #expect(!restored.failsClosed && restored.revoked.isEmpty)
        #expect(restored.authorize(authorization: "Bearer beta-token") == .allowed)
        #expect(restored.authorize(authorization: "Bearer alpha-token") == .invalid)
    }

    @Test func aTokenRemovedFromAValidFileStopsWorking() throws {
        let path = try dir.write("tokens", "alpha-token\nbeta-token\n")
        let settings = AuthSettings(bearerTokensFile: path)
        let start = try Fixtures.load(settings)
        try dir.write("tokens", "beta-token\n")
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.authorize(authorization: "Bearer alpha-token") == .invalid)
        #expect(reloaded.authorize(authorization: "Bearer beta-token") == .allowed)
        #expect(reloaded.revoked.isEmpty)
    }

    /// Present but malformed: the reload is refused, so the caller keeps the old set.
    @Test func aMalformedFileIsStillRefused() throws {
        let path = try dir.write("tokens", "alpha-token\n")
        let settings = AuthSettings(bearerTokensFile: path)
        let start = try Fixtures.load(settings)
        try dir.write("tokens", String(repeating: "x", count: 9000) + "\n")
        #expect(reloadError(settings, replacing: start)?.flag == "--auth.bearer-tokens-file")
        try dir.write("tokens", bytes: [0xFF, 0xFE, 0x0A])
        #expect(reloadError(settings, replacing: start)?.problem.contains("not UTF-8") == true)
    }

    @Test func emptiedJWTKeyFilesRevokeTheirKeysEvenWithAnIssuer() async throws {
        let secret = Fixtures.secret(32)
        let secretPath = try dir.write("secret", bytes: secret)
        let jwks = try dir.write("jwks.json", #"{"keys": []}"#)
        let settings = AuthSettings(jwtHMACSecretFile: secretPath, jwtIssuer: "chat-backend")
        let start = try Fixtures.load(settings)
        let token = "Bearer " + (try await Tokens.hmac(secret, .sha256, .valid(iss: "chat-backend")))
        #expect(start.authorize(authorization: token) == .allowed)
        try dir.write("secret", "\n")
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.failsClosed)
        #expect(reloaded.authorize(authorization: token) == .invalid)
        #expect(reloaded.revoked.map(\.flag) == ["--auth.jwt.hmac-secret-file"])

        // An empty key set: an error at start, a revocation on reload.
        let jwksSettings = AuthSettings(jwtJWKSFile: jwks)
        #expect(Fixtures.loadError(jwksSettings)?.flag == "--auth.jwt.jwks-file")
        let emptied = try reload(jwksSettings, replacing: start)
        #expect(emptied.failsClosed && emptied.revoked.map(\.flag) == ["--auth.jwt.jwks-file"])
    }

    @Test func emptyingBasicAuthUsersFailsClosed() throws {
        let hash = try Fixtures.bcryptHash("pw", cost: 4, in: dir)
        let path = try dir.write("web.yml", "basic_auth_users:\n  alice: \(hash)\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        for contents in ["basic_auth_users: {}\n", "basic_auth_users:\n", "# nothing\n", ""] {
            try dir.write("web.yml", contents)
            let reloaded = try reload(settings, replacing: start)
            #expect(reloaded.failsClosed, "\(contents)")
            #expect(reloaded.authorize(authorization: Fixtures.basic("alice", "pw")) == .invalid)
            #expect(reloaded.authorize(authorization: nil) == .missing)
        }
    }

    /// Once required, always required: a reload of a reload that failed closed stays closed.
    @Test func theRequirementIsKeptAcrossReloads() throws {
        let hash = try Fixtures.bcryptHash("pw", cost: 4, in: dir)
        let path = try dir.write("web.yml", "basic_auth_users:\n  alice: \(hash)\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        try dir.write("web.yml", "basic_auth_users: {}\n")
        let first = try reload(settings, replacing: start)
        let second = try reload(settings, replacing: first)
        #expect(first.failsClosed && second.failsClosed && second.required)
    }

    /// Nothing configured at start on loopback: served open, and a reload changes nothing.
    @Test func nothingConfiguredStaysOpen() throws {
        let start = try Fixtures.load(AuthSettings())
        #expect(!start.required && !start.failsClosed)
        let reloaded = try reload(AuthSettings(), replacing: start)
        #expect(reloaded.authorize(authorization: nil) == .allowed)
    }

    /// RequireAndVerifyClientCert counts as a credential; dropping it by reload fails closed.
    @Test func aRequiredClientCertificateIsACredential() throws {
        try OpenSSL.makeSelfSignedCertificate("server", in: dir, ec: true)
        try OpenSSL.makeSelfSignedCertificate("ca", in: dir, ec: true)
        let tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        let path = try dir.write("web.yml", tls + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        #expect(start.isEmpty && start.requiresClientCertificate && start.protects && start.required)
        #expect(start.authorize(authorization: nil, clientCertificateVerified: true) == .allowed)
        #expect(start.authorize(authorization: nil, clientCertificateVerified: false) == .missing)

        for mode in ["RequireAnyClientCert", "RequestClientCert"] {
            try dir.write("any.yml", tls + "  client_auth_type: \(mode)\n")
            let any = try Fixtures.load(AuthSettings(webConfigFile: dir.path + "/any.yml"))
            #expect(!any.protects, "\(mode) checks no certificate against a CA: not a credential")
        }

        try dir.write("web.yml", tls)
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.failsClosed)
        #expect(reloaded.authorize(authorization: nil, clientCertificateVerified: true) == .missing,
                "no certificate is asked for any more: nothing can pass")
    }
}
