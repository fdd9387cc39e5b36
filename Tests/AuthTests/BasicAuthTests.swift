import HTTPServer
import Synchronization
import Foundation
import Testing

@testable import Auth

@Suite("Basic auth from the web config")
struct BasicAuthTests {
    let dir: TempDirectory
    let credentials: Credentials
    let password = "correct horse:battery staple"

    /// A real bcrypt hash made in the test, verified by HTTPServer's libcrypt `bcryptVerify`.
    init() throws {
        dir = try TempDirectory()
        let hash = try Fixtures.bcryptHash(password, in: dir)
        #expect(hash.hasPrefix("$2b$10$"))
        let config = try dir.write("web.yml", "basic_auth_users:\n  alice: '\(hash)'\n")
        credentials = try Fixtures.load(AuthSettings(webConfigFile: config))
    }

    @Test func rightPasswordIsAllowed() {
        #expect(credentials.hasBasicAuth)
        #expect(!credentials.isEmpty)
        #expect(credentials.authorize(authorization: Fixtures.basic("alice", password)) == .allowed)
        #expect(credentials.authorize(authorization: "basic " + Data("alice:\(password)".utf8).base64EncodedString()) == .allowed)
    }

    @Test func anythingElseIsInvalid() {
        for header in [
            Fixtures.basic("alice", "wrong"), Fixtures.basic("alice", ""), Fixtures.basic("Alice", password),
            Fixtures.basic("bob", password), Fixtures.basic("alice", password + " "), "Basic", "Basic ***",
            "Bearer \(password)",
        ] {
            #expect(credentials.authorize(authorization: header) == .invalid, "\(header)")
        }
        #expect(credentials.authorize(authorization: nil) == .missing)
    }

    /// An unknown user still costs a bcrypt run, so timing does not reveal which users exist.
    @Test func unknownUserRunsTheVerifierAgainstADecoy() throws {
        let calls = CallLog()
        let config = try dir.write("web2.yml", "basic_auth_users:\n  alice: '\(try Fixtures.bcryptHash("x", in: dir))'\n")
        let counted = try Credentials.load(AuthSettings(webConfigFile: config)) { _, _ in
            calls.record()
            return true  // even a verifier that says yes must not let an unknown user in
        }
        #expect(counted.authorize(authorization: Fixtures.basic("mallory", "x")) == .invalid)
        #expect(calls.count == 1)
        #expect(counted.authorize(authorization: Fixtures.basic("alice", "x")) == .allowed)
    }

    /// A correct password costs one bcrypt run, then is remembered; a wrong one is checked every time.
    @Test func successesAreRememberedFailuresAreNot() throws {
        let calls = CallLog()
        let hash = try Fixtures.bcryptHash("right", in: dir)
        let config = try dir.write("web3.yml", "basic_auth_users:\n  alice: '\(hash)'\n")
        let counted = try Credentials.load(AuthSettings(webConfigFile: config)) { password, hash in
            calls.record()
            return bcryptVerify(password: password, hash: hash)
        }
        for _ in 0..<3 { #expect(counted.authorize(authorization: Fixtures.basic("alice", "right")) == .allowed) }
        #expect(calls.count == 1)
        for _ in 0..<3 { #expect(counted.authorize(authorization: Fixtures.basic("alice", "wrong")) == .invalid) }
        #expect(calls.count == 4)
    }

    @Test func tlsAloneIsNotACredential() throws {
        try OpenSSL.makeSelfSignedCertificate("tls", in: dir, ec: true)
        let config = try dir.write("tls.yml", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n")
        let credentials = try Fixtures.load(AuthSettings(webConfigFile: config))
        #expect(credentials.isEmpty)
        #expect(!credentials.hasBasicAuth)
        #expect(credentials.webConfig?.tls != nil)
        #expect(credentials.authorize(authorization: nil) == .allowed)
    }

    @Test func bearerAndBasicTogether() async throws {
        let tokens = try dir.write("tokens", "static-token-1234\n")
        let secret = Fixtures.secret(32)
        let secretPath = try dir.write("secret", bytes: secret)
        let hash = try Fixtures.bcryptHash("pw", in: dir)
        let config = try dir.write("all.yml", "basic_auth_users:\n  prom: \(hash)\n")
        let all = try Fixtures.load(AuthSettings(bearerTokensFile: tokens, jwtHMACSecretFile: secretPath, webConfigFile: config))
        #expect(all.authorize(authorization: "Bearer static-token-1234") == .allowed)
        #expect(all.authorize(authorization: "Bearer \(try await Tokens.hmac(secret))") == .allowed)
        #expect(all.authorize(authorization: Fixtures.basic("prom", "pw")) == .allowed)
        #expect(all.authorize(authorization: Fixtures.basic("prom", "static-token-1234")) == .invalid)
        #expect(all.authorize(authorization: "Bearer pw") == .invalid)
        #expect("\(all)" == "Credentials(bearer tokens; JWT (HS256); basic auth (1 users))")
    }
}

/// Counts calls from the verifier closure, which must be Sendable.
final class CallLog: Sendable {
    private let calls = Mutex(0)
    func record() { calls.withLock { $0 += 1 } }
    var count: Int { calls.withLock { $0 } }
}
