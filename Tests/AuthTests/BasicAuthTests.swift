import Bcrypt
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

    /// A real bcrypt hash made in the test, verified by the Bcrypt wrapper of libcrypt.
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

    /// A correct password costs one bcrypt run, then is remembered; so does a wrong one, per
    /// client and password: repeating it is answered at once, without bcrypt.
    @Test func successesAndRecentFailuresAreRemembered() throws {
        let calls = CallLog()
        let hash = try Fixtures.bcryptHash("right", in: dir)
        let config = try dir.write("web3.yml", "basic_auth_users:\n  alice: '\(hash)'\n")
        let counted = try Credentials.load(AuthSettings(webConfigFile: config)) { password, hash in
            calls.record()
            return bcryptVerifier(Bcrypt.bcryptHash)(password, hash)
        }
        func decide(_ header: String, from client: String) -> AuthDecision {
            switch counted.check(authorization: header, client: client) {
            case .decided(let decision): decision
            case .needsPasswordCheck(let check): check.run()
            }
        }
        let right = Fixtures.basic("alice", "right"), wrong = Fixtures.basic("alice", "wrong")
        for _ in 0..<3 { #expect(counted.authorize(authorization: right) == .allowed) }
        #expect(calls.count == 1)
        for _ in 0..<3 { #expect(decide(wrong, from: "192.0.2.1") == .invalid) }
        #expect(calls.count == 2, "a repeated wrong password costs no second bcrypt run")
        if case .needsPasswordCheck = counted.check(authorization: wrong, client: "192.0.2.1") {
            Issue.record("a remembered failure is decided at once")
        }
        #expect(decide(wrong, from: "192.0.2.2") == .invalid)
        #expect(calls.count == 3, "another client is checked")
        #expect(decide(Fixtures.basic("alice", "wrong2"), from: "192.0.2.1") == .invalid)
        #expect(calls.count == 4, "another password is checked")
        for _ in 0..<2 { #expect(decide(Fixtures.basic("mallory", "x"), from: "192.0.2.1") == .invalid) }
        #expect(calls.count == 5, "an unknown user is remembered too")
        #expect(decide(right, from: "192.0.2.1") == .allowed, "failures do not lock out the right password")
        #expect(counted.basicFailures.count == 4)
        if case .needsPasswordCheck(let check) = counted.check(authorization: Fixtures.basic("alice", "hunter2"), client: "c") {
            #expect(!"\(check)".contains("hunter2") && !String(reflecting: check).contains("hunter2"))
        }
    }

    @Test func failureMemoryIsBoundedInSizeAndTime() {
        let failures = BasicAuthFailures(capacity: 3, lifetime: .seconds(60))
        let start = ContinuousClock.now
        let keys = (0..<5).map { BasicAuthFailures.key(user: "alice", password: "wrong-\($0)", client: "192.0.2.1", hash: "h") }
        #expect(keys.allSatisfy { $0.count == 32 }, "a SHA-256 digest, never the password")
        for (index, key) in keys.enumerated() { failures.remember(key, now: start + .seconds(index)) }
        #expect(failures.count == 3)
        #expect(!failures.contains(keys[0], now: start + .seconds(5)), "the oldest went first")
        #expect(!failures.contains(keys[1], now: start + .seconds(5)))
        #expect(failures.contains(keys[4], now: start + .seconds(5)))
        #expect(!failures.contains(keys[4], now: start + .seconds(65)), "forgotten after its lifetime")
        #expect(failures.count == 2)
        // When full, expired entries make room before any live one is dropped.
        // (Left: keys 2 and 3, forgotten at 62 s and 63 s.)
        failures.remember(keys[0], now: start + .seconds(62))
        failures.remember(keys[1], now: start + .seconds(62))
        #expect(failures.count == 3)
        #expect(failures.contains(keys[3], now: start + .seconds(62)), "key 3 is still live: key 2 made room")
        #expect(failures.contains(keys[0], now: start + .seconds(62)) && failures.contains(keys[1], now: start + .seconds(62)))
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
