import Foundation
import JWTKit
import Testing

/// Claims the application's /api/v1/auth/login would issue.
struct LoginClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    init(expiresIn seconds: Double = 300, notBefore: Double? = nil, iss: String? = nil, aud: String? = nil) {
        sub = "operator"
        exp = ExpirationClaim(value: Date().addingTimeInterval(seconds))
        nbf = notBefore.map { NotBeforeClaim(value: Date().addingTimeInterval($0)) }
        self.iss = iss.map { IssuerClaim(value: $0) }
        self.aud = aud.map { AudienceClaim(value: $0) }
    }
}

/// Every credential kind end to end through the real binary: who gets in, who does not, and
/// that no secret ever shows in a log line or a response.
@Suite("Security", .serialized)
struct SecurityTests {
    static let protectedPaths = ["/metrics", "/api/v1/events/consumer-lag", "/api/v1/events/streams", "/api/v1/events/health"]
    static let openPaths = ["/", "/-/healthy", "/-/ready"]

    private func startRedis() throws -> Harness {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 5)
        return h
    }

    private func start(_ h: Harness, _ flags: [String]) throws -> ExporterProcess {
        let exporter = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "100ms", "--log.level", "debug"] + flags)
        h.exporter = exporter
        try eventually(10, "ready") { try exporter.get("/-/ready").status == 200 }
        return exporter
    }

    /// Checks the 401 shape: the realm, `error="invalid_token"` only when a token was given,
    /// and a body that does not say which check failed.
    private func expectUnauthorized(_ r: HTTPResult, tokenGiven: Bool, _ note: Comment) throws {
        #expect(r.status == 401, note)
        let challenge = r.header("www-authenticate") ?? ""
        #expect(challenge.hasPrefix("Bearer realm=\"stream-lag-exporter\""), note)
        #expect(challenge.contains("error=\"invalid_token\"") == tokenGiven, note)
        #expect(try r.json().string("error") == "unauthorized", note)
    }

    @Test func staticBearerTokens() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let token = "tok-\(UUID().uuidString)"
        let file = try dir.write("tokens", "# prometheus\n\(token)\nsecond-\(UUID().uuidString)\n")
        let exporter = try start(h, ["--auth.bearer-tokens-file", file])
        _ = try eventually(10, "a poll") { try exporter.get("/api/v1/events/consumer-lag", headers: ["Authorization: Bearer \(token)"]).status == 200 }
        for path in Self.protectedPaths {
            try expectUnauthorized(try exporter.get(path), tokenGiven: false, "no token on \(path)")
            try expectUnauthorized(try exporter.get(path, headers: ["Authorization: Bearer \(token)x"]), tokenGiven: true, "longer token")
            try expectUnauthorized(try exporter.get(path, headers: ["Authorization: Bearer \(token.dropLast())"]), tokenGiven: true, "prefix")
            let ok = try exporter.get(path, headers: ["Authorization: Bearer \(token)"])
            #expect(ok.status == 200, "\(path)")
        }
        for path in Self.openPaths {
            #expect(try exporter.get(path).status == 200, "\(path) needs no credential")
        }
        try expectNoSecret([token], in: exporter)
    }

    @Test func jwtHMACAndRSAAndECDSA() async throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let secret = String(repeating: "k", count: 40) + UUID().uuidString
        let secretFile = try dir.write("hmac", secret + "\n")
        try dir.openssl("genrsa", "-out", "rsa.key", "2048")
        try dir.openssl("rsa", "-in", "rsa.key", "-pubout", "-out", "rsa.pub")
        let hmacKeys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let rsaKeys = try await JWTKeyCollection().add(rsa: Insecure.RSA.PrivateKey(pem: dir.read("rsa.key")), digestAlgorithm: .sha256)

        let exporter = try start(h, ["--auth.jwt.hmac-secret-file", secretFile, "--auth.jwt.issuer", "chat-backend",
                                     "--auth.jwt.audience", "stream-lag-exporter"])
        let good = try await hmacKeys.sign(LoginClaims(iss: "chat-backend", aud: "stream-lag-exporter"))
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(good)"]).status == 200)
        let refused: [(String, String)] = [
            ("expired", try await hmacKeys.sign(LoginClaims(expiresIn: -120, iss: "chat-backend", aud: "stream-lag-exporter"))),
            ("not yet valid", try await hmacKeys.sign(LoginClaims(notBefore: 300, iss: "chat-backend", aud: "stream-lag-exporter"))),
            ("wrong issuer", try await hmacKeys.sign(LoginClaims(iss: "someone-else", aud: "stream-lag-exporter"))),
            ("wrong audience", try await hmacKeys.sign(LoginClaims(iss: "chat-backend", aud: "grafana"))),
            ("signed by another key", try await rsaKeys.sign(LoginClaims(iss: "chat-backend", aud: "stream-lag-exporter"))),
            ("alg none", Self.unsigned(good)),
            ("tampered payload", Self.tamper(good)),
        ]
        for (what, token) in refused {
            try expectUnauthorized(try exporter.get("/metrics", headers: ["Authorization: Bearer \(token)"]), tokenGiven: true, "\(what)")
        }
        try expectNoSecret([secret, good], in: exporter)
        _ = exporter.terminate()

        // RS256 from a PEM public key; an HS256 token whose secret is that public key is refused.
        let rsaExporter = try start(h, ["--auth.jwt.public-key-file", dir.path("rsa.pub")])
        let rsToken = try await rsaKeys.sign(LoginClaims())
        #expect(try rsaExporter.get("/metrics", headers: ["Authorization: Bearer \(rsToken)"]).status == 200)
        let confusion = try await JWTKeyCollection().add(hmac: HMACKey(from: dir.read("rsa.pub")), digestAlgorithm: .sha256).sign(LoginClaims())
        try expectUnauthorized(try rsaExporter.get("/metrics", headers: ["Authorization: Bearer \(confusion)"]), tokenGiven: true, "key confusion")
        _ = rsaExporter.terminate()

        // ES256 from an EC public key.
        try dir.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key")
        try dir.openssl("ec", "-in", "ec.key", "-pubout", "-out", "ec.pub")
        let ecKeys = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(pem: dir.read("ec.key")))
        let ecExporter = try start(h, ["--auth.jwt.public-key-file", dir.path("ec.pub")])
        #expect(try ecExporter.get("/metrics", headers: ["Authorization: Bearer \(try await ecKeys.sign(LoginClaims()))"]).status == 200)
        try expectUnauthorized(try ecExporter.get("/metrics", headers: ["Authorization: Bearer \(rsToken)"]), tokenGiven: true, "RS256 against an EC key")
    }

    @Test func tlsWithClientCertificatesAndBasicAuth() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        try dir.makePKI()
        let password = "pw-\(UUID().uuidString)"
        let hash = try dir.bcrypt(password)
        let config = try dir.write("web.yml", """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
            basic_auth_users:
              prometheus: \(hash)

            """)
        let exporter = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "100ms", "--log.level", "debug",
                                            "--web.config.file", config])
        h.exporter = exporter
        let ca = dir.path("ca.pem")
        let client = ["--cert", dir.path("client.pem"), "--key", dir.path("client.key")]
        try eventually(10, "ready over TLS") { try exporter.getTLS("/-/ready", ca: ca, curl: client).status == 200 }
        let ok = try exporter.getTLS("/metrics", ca: ca, curl: client + ["-u", "prometheus:\(password)"])
        #expect(ok.status == 200)
        #expect(ok.text.contains("event_redis_up"))
        let wrongPassword = try exporter.getTLS("/metrics", ca: ca, curl: client + ["-u", "prometheus:nope"])
        #expect(wrongPassword.status == 401)
        #expect(try exporter.getTLS("/metrics", ca: ca, curl: client).status == 401, "basic auth still required")
        let noCert = try? exporter.getTLS("/-/healthy", ca: ca)
        #expect(noCert.map { $0.status != 200 } ?? true, "a missing client certificate is refused")
        let rogue = try? exporter.getTLS("/-/healthy", ca: ca, curl: ["--cert", dir.path("rogue.pem"), "--key", dir.path("rogue.key")])
        #expect(rogue.map { $0.status != 200 } ?? true, "a certificate the CA did not sign is refused")
        let plain = try? exporter.get("/-/healthy")
        #expect(plain.map { $0.status != 200 } ?? true, "plain HTTP is not served")
        try expectNoSecret([password, hash], in: exporter)
    }

    @Test func badCredentialFilesExitTwoNamingTheFlag() throws {
        let dir = try SecretsDir()
        let cases: [([String], String)] = [
            (["--auth.bearer-tokens-file", dir.path("missing")], "--auth.bearer-tokens-file"),
            (["--auth.jwt.hmac-secret-file", try dir.write("short", "tooshort\n")], "--auth.jwt.hmac-secret-file"),
            (["--auth.jwt.public-key-file", try dir.write("junk.pem", "not a key")], "--auth.jwt.public-key-file"),
            (["--web.config.file", try dir.write("bad.yml", "tls_server_config: [\n")], "--web.config.file"),
            (["--web.config.file", try dir.write("nofile.yml", "tls_server_config:\n  cert_file: nope.pem\n  key_file: nope.key\n")], "--web.config.file"),
        ]
        for (flags, named) in cases {
            let run = try runExporter(["--redis.url", "redis://127.0.0.1:1/0"] + flags)
            #expect(run.status == 2, "\(flags)")
            #expect(run.stderr.contains(named), "\(run.stderr)")
            #expect(!run.stderr.contains("tooshort"), "no secret in the error")
        }
    }

    @Test func noCredentialMeansLoopbackOnly() throws {
        let refused = try runExporter(["--redis.url", "redis://127.0.0.1:1/0", "--web.listen-address", "0.0.0.0:0"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--web.disable-auth"))
        #expect(refused.stderr.contains("--auth.bearer-tokens-file"))
        let open = try ExporterProcess(["--redis.url", "redis://127.0.0.1:1/0", "--web.listen-address", "0.0.0.0:0", "--web.disable-auth"])
        #expect(try HTTPResult.fetch("http://127.0.0.1:\(open.port)/-/healthy").status == 200)
        #expect(open.terminate() == 0)
    }

    @Test func sighupRotatesTokensWithoutAFailedScrape() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let steady = "steady-\(UUID().uuidString)", old = "old-\(UUID().uuidString)", new = "new-\(UUID().uuidString)"
        let file = try dir.write("tokens", "\(steady)\n\(old)\n")
        let exporter = try start(h, ["--auth.bearer-tokens-file", file])
        let pid = exporter.process.processIdentifier

        // A scrape loop with the token that stays valid throughout, on its own thread.
        let stop = ManagedFlag(), failures = ManagedCounter(), scrapes = ManagedCounter()
        let loop = Thread {
            while !stop.isSet {
                let status = (try? exporter.get("/metrics", headers: ["Authorization: Bearer \(steady)"]).status) ?? -1
                scrapes.add()
                if status != 200 { failures.add() }
            }
        }
        loop.start()
        defer { stop.set() }

        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(new)"]).status == 401)
        try dir.write("tokens", "\(steady)\n\(new)\n")
        kill(pid, SIGHUP)
        try eventually(5, "new token accepted") { try exporter.get("/metrics", headers: ["Authorization: Bearer \(new)"]).status == 200 }
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(old)"]).status == 401, "the old token is gone")

        // A malformed new file (present, but a line is no usable token) is refused with a log
        // line; the credentials in force stay. (An emptied file revokes: see below.)
        try dir.write("tokens", "\(steady)\n" + String(repeating: "x", count: 9000) + "\n")
        kill(pid, SIGHUP)
        try eventually(5, "reload refused") { exporter.stderr.text.contains("reload refused") }
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(new)"]).status == 200)

        usleep(300_000)
        stop.set()
        while loop.isExecuting { usleep(10_000) }
        #expect(scrapes.value > 10)
        #expect(failures.value == 0, "\(failures.value) of \(scrapes.value) scrapes failed during the reloads")
        try expectNoSecret([steady, old, new], in: exporter)
    }

    @Test func sighupRenewsTheTLSCertificateWithoutAFailedScrape() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        try dir.makePKI()
        let config = try dir.write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n")
        let exporter = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "100ms", "--web.config.file", config])
        h.exporter = exporter
        let ca = dir.path("ca.pem")
        try eventually(10, "ready over TLS") { try exporter.getTLS("/-/ready", ca: ca).status == 200 }
        func servedSerial() throws -> String {
            try dir.run("/bin/bash", ["-c", "openssl s_client -connect 127.0.0.1:\(exporter.port) </dev/null 2>/dev/null | openssl x509 -noout -serial"])
        }
        let before = try servedSerial()

        let stop = ManagedFlag(), failures = ManagedCounter(), scrapes = ManagedCounter()
        let loop = Thread {
            while !stop.isSet {
                let status = (try? exporter.getTLS("/metrics", ca: ca).status) ?? -1
                scrapes.add()
                if status != 200 { failures.add() }
            }
        }
        loop.start()
        defer { stop.set() }
        // A renewed certificate from the same CA, written over the old files, then SIGHUP.
        try dir.openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=renewed")
        try dir.run("/usr/bin/openssl", ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                                         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"])
        kill(exporter.process.processIdentifier, SIGHUP)
        try eventually(10, "the renewed certificate served") { try servedSerial() != before }
        usleep(500_000)
        stop.set()
        while loop.isExecuting { usleep(10_000) }
        #expect(scrapes.value > 5)
        #expect(failures.value == 0, "\(failures.value) of \(scrapes.value) scrapes failed across the certificate swap")
        #expect(exporter.stderr.text.contains("tls settings reloaded"))
    }

    @Test func oversizedHeadersAndIdleClientsAreBounded() throws {
        let h = try startRedis()
        let exporter = try start(h, ["--web.max-connections", "20"])
        let big = try exporter.get("/-/healthy", headers: ["X-Big: " + String(repeating: "a", count: 40_000)])
        #expect(big.status == 431)
        // Idle connections up to the limit do not stop the poller, and once they are gone service resumes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", """
            import socket, time, sys
            socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(40)]
            time.sleep(2)
            """, String(exporter.port)]
        try holder.run()
        usleep(500_000)
        let before = try h.freshJSON()
        #expect(before.bool("redis_connected") == true, "the poller is not starved")
        holder.waitUntilExit()
        try eventually(10, "service after idle clients leave") { try exporter.get("/-/healthy").status == 200 }
    }

    // MARK: - Reloads never widen access

    /// Sends SIGHUP and waits until the exporter has logged the outcome of that reload.
    private func reload(_ exporter: ExporterProcess) throws {
        func outcomes() -> Int {
            exporter.stderr.text.split(separator: "\n")
                .filter { $0.contains("credentials reloaded") || $0.contains("reload refused") }.count
        }
        let before = outcomes()
        kill(exporter.process.processIdentifier, SIGHUP)
        try eventually(10, "the reload's log line") { outcomes() > before }
    }

    /// Every protected path refuses `headers` with the usual JSON error (401 or 403, never 200).
    private func expectRefused(_ exporter: ExporterProcess, headers: [String] = [], curl: [String] = [],
                               tlsCA: String? = nil, _ note: Comment) throws {
        for path in Self.protectedPaths {
            let r = try tlsCA.map { try exporter.getTLS(path, ca: $0, headers: headers, curl: curl) }
                ?? exporter.get(path, headers: headers, curl: curl)
            #expect(r.status == 401 || r.status == 403, "\(path): \(note)")
            #expect((try? r.json().string("error")) != nil, "\(path) answers the usual JSON error: \(note)")
        }
    }

    /// A public listener protected by basic auth: rewriting `basic_auth_users` to `{}` and
    /// sending SIGHUP must not open /metrics and /api/* to anyone; a later reload that brings a
    /// user back restores normal service.
    @Test func sighupThatEmptiesBasicAuthUsersKeepsAPublicListenerClosed() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let password = "pw-\(UUID().uuidString)"
        let hash = try dir.bcrypt(password)
        let config = try dir.write("web.yml", "basic_auth_users:\n  prometheus: \(hash)\n")
        let exporter = try start(h, ["--web.listen-address", "0.0.0.0:0", "--web.config.file", config])
        let user = ["-u", "prometheus:\(password)"]
        #expect(try exporter.get("/metrics", curl: user).status == 200)
        try expectRefused(exporter, "no credential before the reload")

        try dir.write("web.yml", "basic_auth_users: {}\n")
        try reload(exporter)
        try expectRefused(exporter, "no credential after basic_auth_users was emptied")
        try expectRefused(exporter, curl: user, "the removed user")
        for path in Self.openPaths { #expect(try exporter.get(path).status == 200, "\(path) stays open") }
        #expect(exporter.stderr.text.contains("auth=closed"), "the log says the protected paths are closed")

        // A reload that brings a credential back restores service.
        try dir.write("web.yml", "basic_auth_users:\n  prometheus: \(hash)\n")
        try reload(exporter)
        #expect(try exporter.get("/metrics", curl: user).status == 200)
        try expectRefused(exporter, "no credential once the user is back")
        try expectNoSecret([password, hash], in: exporter)
    }

    /// `RequireAndVerifyClientCert` counts as a credential: alone, it lets the exporter start on
    /// a public address (`RequireAnyClientCert`, which checks nothing, does not). Switching it to
    /// `NoClientCert`, or removing TLS, by SIGHUP must not open the API.
    @Test func aRequiredClientCertificateIsACredentialAndAReloadCannotDropIt() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        try dir.makePKI()
        let anyCert = try dir.write("any.yml", """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAnyClientCert

            """)
        let refused = try runExporter(["--redis.url", h.redis.url, "--web.listen-address", "0.0.0.0:0", "--web.config.file", anyCert])
        #expect(refused.status == 2, "a certificate that is not verified is no credential")
        #expect(refused.stderr.contains("--web.disable-auth"))

        let config = try dir.write("web.yml", """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem

            """)
        let exporter = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "100ms", "--log.level", "debug",
                                            "--web.listen-address", "0.0.0.0:0", "--web.config.file", config])
        h.exporter = exporter
        let ca = dir.path("ca.pem")
        let client = ["--cert", dir.path("client.pem"), "--key", dir.path("client.key")]
        try eventually(10, "ready over TLS") { try exporter.getTLS("/-/ready", ca: ca, curl: client).status == 200 }
        for path in Self.protectedPaths {
            #expect(try exporter.getTLS(path, ca: ca, curl: client).status == 200, "\(path) with the client certificate")
        }

        // The client certificate requirement dropped: TLS stays, the API stays closed.
        try dir.write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n")
        try reload(exporter)
        try eventually(10, "TLS without client certificates") { try exporter.getTLS("/-/healthy", ca: ca).status == 200 }
        try expectRefused(exporter, tlsCA: ca, "no client certificate after NoClientCert")
        try expectRefused(exporter, curl: client, tlsCA: ca, "a client certificate is no longer asked for")
        #expect(exporter.stderr.text.contains("auth=closed"))

        // TLS removed altogether: plain HTTP, the API still closed.
        try dir.write("web.yml", "basic_auth_users:\n")
        try reload(exporter)
        try eventually(10, "plain HTTP") { (try? exporter.get("/-/healthy").status) == 200 }
        try expectRefused(exporter, "plain HTTP after TLS was removed")
    }

    /// Emptying or deleting the bearer-tokens file revokes its tokens at the next SIGHUP: with
    /// nothing left to check the protected paths refuse everyone, and say why in the log.
    @Test func emptyingOrDeletingTheTokensFileRevokesItsTokens() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let first = "first-\(UUID().uuidString)", second = "second-\(UUID().uuidString)", third = "third-\(UUID().uuidString)"
        let file = try dir.write("tokens", "\(first)\n")
        let exporter = try start(h, ["--auth.bearer-tokens-file", file])
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(first)"]).status == 200)

        try dir.write("tokens", "")
        try reload(exporter)
        try expectRefused(exporter, headers: ["Authorization: Bearer \(first)"], "a token of the emptied file")
        try expectRefused(exporter, "no token")
        let log = exporter.stderr.text
        #expect(log.contains("auth=closed"))
        #expect(log.split(separator: "\n").contains { $0.contains("level=error") && $0.contains("--auth.bearer-tokens-file") },
                "an error names the emptied file's flag")

        try dir.write("tokens", "\(second)\n")
        try reload(exporter)
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(second)"]).status == 200, "a later reload brings a token back")
        try expectRefused(exporter, headers: ["Authorization: Bearer \(first)"], "the first token stays revoked")

        try dir.write("tokens", "# all revoked\n\n")
        try reload(exporter)
        try expectRefused(exporter, headers: ["Authorization: Bearer \(second)"], "a file of comments only")

        try dir.write("tokens", "\(third)\n")
        try reload(exporter)
        #expect(try exporter.get("/metrics", headers: ["Authorization: Bearer \(third)"]).status == 200)
        try FileManager.default.removeItem(atPath: file)
        try reload(exporter)
        try expectRefused(exporter, headers: ["Authorization: Bearer \(third)"], "a token of the deleted file")
        for path in Self.openPaths { #expect(try exporter.get(path).status == 200, "\(path) stays open") }
        try expectNoSecret([first, second, third], in: exporter)
    }

    /// Startup stays strict: an empty tokens file is a mistake to report, not a revocation.
    @Test func anEmptyTokensFileAtStartExitsTwo() throws {
        let dir = try SecretsDir()
        for contents in ["", "# nothing yet\n"] {
            let run = try runExporter(["--redis.url", "redis://127.0.0.1:1/0", "--auth.bearer-tokens-file", try dir.write("tokens", contents)])
            #expect(run.status == 2, "\(contents)")
            #expect(run.stderr.contains("--auth.bearer-tokens-file"), "\(run.stderr)")
        }
    }

    // MARK: - Wrong passwords do not stall everyone

    /// 64 clients sending wrong passwords against a cost-12 hash (from 127.0.0.1, as many as one
    /// address may hold) while a prober (from 127.0.0.2) measures
    /// `/-/healthy`, a correct-password `/metrics` and a wrong password it repeats. bcrypt runs on
    /// a small bounded verifier, never on the threads that serve everyone: the prober keeps being
    /// answered quickly, the excess attempts get 429, none gets in, and a repeated wrong attempt
    /// is answered from the failure memory (401, never 429, even while the verifier is full).
    @Test func wrongPasswordsDoNotStallEveryone() throws {
        let h = try startRedis()
        let dir = try SecretsDir()
        let password = "pw-\(UUID().uuidString)"
        let hash = try dir.bcrypt(password, cost: 12)
        let config = try dir.write("web.yml", "basic_auth_users:\n  prometheus: \(hash)\n")
        let exporter = try start(h, ["--web.config.file", config])
        let good = Data("prometheus:\(password)".utf8).base64EncodedString()
        let repeated = Data("prometheus:wrong-and-repeated".utf8).base64EncodedString()
        // Before the attack: the correct password is verified once (then remembered), and so is
        // the wrong password the prober will repeat (from the prober's address: failures are
        // remembered per client).
        let prober = ["--interface", "127.0.0.2"]
        #expect(try exporter.get("/metrics", headers: ["Authorization: Basic \(good)"], curl: prober).status == 200)
        #expect(try exporter.get("/metrics", headers: ["Authorization: Basic \(repeated)"], curl: prober).status == 401)

        let attack = try PythonScript(Self.attackScript, [String(exporter.port), "64", "6"])
        usleep(1_000_000)
        let probe = try PythonScript(Self.probeScript, [String(exporter.port), "4", good, repeated])
        let probed = try probe.finish(timeout: 120)
        let attacked = try attack.finish(timeout: 120)

        let statuses = attacked["statuses"] as? [String: Int] ?? [:]
        print("wrong-password attack, 64 clients: \(statuses)")
        for kind in ["healthy", "metrics", "repeat"] {
            let samples = probed[kind] as? [String: Any] ?? [:]
            print("\(kind): \(samples["count"] ?? 0) requests, statuses \(samples["statuses"] ?? [:]), "
                  + "median \(samples["p50"] ?? -1) s, p99 \(samples["p99"] ?? -1) s, max \(samples["max"] ?? -1) s")
        }
        #expect(statuses["200"] == nil, "a wrong password never gets in")
        #expect((statuses["429"] ?? 0) > 0, "attempts beyond the verifier's queue are refused with 429")
        #expect((statuses["401"] ?? 0) > 0, "some wrong passwords are verified")

        let healthy = probed["healthy"] as? [String: Any] ?? [:]
        #expect((healthy["count"] as? Int ?? 0) >= 5)
        #expect(healthy["statuses"] as? [String: Int] == ["200": healthy["count"] as? Int ?? -1])
        #expect((healthy["p99"] as? Double ?? 99) < 0.5, "/-/healthy never waits behind a verification")

        let metrics = probed["metrics"] as? [String: Any] ?? [:]
        #expect(metrics["statuses"] as? [String: Int] == ["200": metrics["count"] as? Int ?? -1],
                "a remembered correct password is served during the attack")
        #expect((metrics["p99"] as? Double ?? 99) < 1.0)

        let repeats = probed["repeat"] as? [String: Any] ?? [:]
        #expect(repeats["statuses"] as? [String: Int] == ["401": repeats["count"] as? Int ?? -1],
                "a repeated wrong attempt is answered from the failure memory, never queued")
        #expect((repeats["p99"] as? Double ?? 99) < 1.0)
        try expectNoSecret([password, hash], in: exporter)
    }

    /// `clients` connections, each sending GET /metrics with a wrong password never used before,
    /// one after the other, for `seconds`; prints the count of each status.
    static let attackScript = #"""
        import asyncio, base64, json, sys, time
        port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
        statuses = {}
        async def client(i):
            n = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                n += 1
                auth = base64.b64encode(f"prometheus:wrong-{i}-{n}".encode()).decode()
                try:
                    r, w = await asyncio.open_connection("127.0.0.1", port)
                    w.write(f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n".encode())
                    await w.drain()
                    line = await asyncio.wait_for(r.readline(), 90)
                    status = line.split()[1].decode() if line else "eof"
                    await asyncio.wait_for(r.read(), 90)
                    w.close()
                except Exception as e:
                    status = type(e).__name__
                statuses[status] = statuses.get(status, 0) + 1
                if status == "429":
                    await asyncio.sleep(0.02)
        async def main():
            await asyncio.gather(*(client(i) for i in range(clients)))
        asyncio.run(main())
        print(json.dumps({"statuses": statuses}))
        """#

    /// For `seconds`: `/-/healthy`, `/metrics` with the correct password and `/metrics` with the
    /// repeated wrong one, each on a new connection, every 50 ms; prints counts and latencies.
    static let probeScript = #"""
        import http.client, json, sys, time
        port, seconds, good, repeated = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
        kinds = {"healthy": ("/-/healthy", None), "metrics": ("/metrics", good), "repeat": ("/metrics", repeated)}
        samples = {k: [] for k in kinds}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for kind, (path, auth) in kinds.items():
                start = time.perf_counter()
                try:
                    # From another address than the attackers', as Prometheus would be: the 64
                    # attack connections fill 127.0.0.1's share (--web.max-connections-per-ip).
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=90, source_address=("127.0.0.2", 0))
                    c.request("GET", path, headers={"Authorization": "Basic " + auth} if auth else {})
                    r = c.getresponse()
                    r.read()
                    c.close()
                    status = str(r.status)
                except Exception as e:
                    status = type(e).__name__
                samples[kind].append((time.perf_counter() - start, status))
            time.sleep(0.05)
        out = {}
        for kind, s in samples.items():
            times = sorted(t for t, _ in s)
            counts = {}
            for _, status in s:
                counts[status] = counts.get(status, 0) + 1
            pick = lambda q: round(times[min(len(times) - 1, int(q * len(times)))], 4) if times else -1
            out[kind] = {"count": len(s), "statuses": counts, "p50": pick(0.5), "p99": pick(0.99), "max": pick(1.0)}
        print(json.dumps(out))
        """#

    /// Every log line so far and every response body of the exporter hold none of the secrets.
    private func expectNoSecret(_ secrets: [String], in exporter: ExporterProcess) throws {
        var outputs = [exporter.stderr.text, exporter.stdout.text]
        for path in Self.protectedPaths + Self.openPaths { outputs.append((try? exporter.get(path).text) ?? "") }
        for secret in secrets {
            for output in outputs { #expect(!output.contains(secret), "a secret leaked") }
        }
    }

    /// The same claims with `alg: none` and no signature.
    static func unsigned(_ token: String) -> String {
        let parts = token.split(separator: ".")
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return "\(header).\(parts[1])."
    }

    /// The payload with one character changed, the signature kept.
    static func tamper(_ token: String) -> String {
        var parts = token.split(separator: ".").map(String.init)
        var payload = Array(parts[1])
        payload[payload.count / 2] = payload[payload.count / 2] == "A" ? "B" : "A"
        parts[1] = String(payload)
        return parts.joined(separator: ".")
    }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}

/// A python3 script run in the background; `finish` waits for it and decodes the JSON it prints.
final class PythonScript: @unchecked Sendable {
    private let process = Process()
    private let output: OutputCapture

    init(_ script: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        output = OutputCapture(out)
        try process.run()
    }

    func finish(timeout: Double) throws -> [String: Any] {
        guard waitForExit(process, timeout: timeout) else {
            throw TestFailure("the script did not finish; output: \(output.text)")
        }
        usleep(50_000)
        let text = output.text
        guard let line = text.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw TestFailure("the script printed no JSON: \(text)") }
        return object
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
