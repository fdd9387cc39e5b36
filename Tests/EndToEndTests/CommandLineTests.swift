import Foundation
import Testing

/// Flags, exit statuses and signals of the real binary.
@Suite("Command line")
struct CommandLineTests {
    @Test(arguments: [
        (["--poll.interval", "5x"], "--poll.interval"),
        (["--poll.interval", "1ms"], "--poll.interval"),
        (["--redis.timeout", "soon"], "--redis.timeout"),
        (["--no-such-flag"], "--no-such-flag"),
        (["--redis.url", "http://h:6380/0"], "rediss://"),
        (["--redis.url", "redis://a:1,redis://b:2", "--redis.cluster", "false"], "--redis.cluster false"),
        (["--redis.url", "redis://a:1", "--redis.url", "redis://b:2", "--redis.cluster", "false"], "--redis.sentinel.master"),
        (["--redis.cluster", "maybe"], "--redis.cluster"),
        (["--redis.url", "redis://a:1", "--redis.sentinel.master", "m", "--redis.cluster", "true"], "--redis.cluster"),
        (["--redis.url", "unix:///tmp/s.sock", "--redis.cluster", "true"], "reached over TCP"),
        (["--redis.url", "redis://a:1,unix:///tmp/s.sock"], "reached over TCP"),
        (["--redis.url", "unix:///tmp/s.sock", "--redis.sentinel.master", "mymaster"], "sentinels are reached over TCP"),
        (["--redis.sentinel.master", "my master"], "--redis.sentinel.master"),
        (["--redis.sentinel.password-file", "/etc/hostname"], "--redis.sentinel.password-file"),
        (["--redis.url", "redis://h:1", "--redis.sentinel.master", "m", "--redis.sentinel.password-file", "/nonexistent/pw"],
         "--redis.sentinel.password-file"),
        (["--redis.url", "rediss://h:1", "--redis.tls.server-name", ""], "--redis.tls.server-name"),
        (["--redis.url", "rediss://h:1", "--redis.tls.ca-file", "/nonexistent/ca.pem"], "--redis.tls.ca-file"),
        (["--redis.url", "redis://h:1", "--redis.tls.insecure-skip-verify"], "--redis.tls.insecure-skip-verify"),
        (["--redis.url", "redis://h:notaport/0"], "--redis.url"),
        (["--web.listen-address", "nowhere"], "--web.listen-address"),
        (["--lag.unhealthy-threshold", "10"], "--lag.unhealthy-threshold"),
        (["--lag.count-limit", "0"], "--lag.count-limit"),
        (["--web.max-connections-per-ip", "-1"], "--web.max-connections-per-ip"),
        (["--web.header-timeout", "0s"], "--web.header-timeout"),
        (["--web.header-timeout", "forever"], "--web.header-timeout"),
        (["--log.level", "loud"], "--log.level"),
        (["--log.format", "xml"], "--log.format"),
        (["--streams.max", "many"], "--streams.max"),
        (["--redis.password-file", "/nonexistent/pw"], "--redis.password-file"),
        // A value with a newline must not forge a second log line.
        (["--poll.interval", "5s\nlevel=error msg=forged"], "--poll.interval"),
        (["--web.telemetry-path", "metrics\r\nx"], "--web.telemetry-path"),
        (["--log.level", "info\u{1b}[2J"], "--log.level"),
    ])
    func badFlagExitsTwoNamingIt(arguments: [String], named: String) throws {
        let run = try runExporter(arguments)
        #expect(run.status == 2)
        // Bytes, not Characters: "\r\n" is one Character and would hide a CR.
        #expect(run.stderr.utf8.filter { $0 == 10 || $0 == 13 }.count == 1, "one line: \(run.stderr)")
        #expect(!run.stderr.utf8.contains(0x1b), "no raw escape: \(run.stderr)")
        #expect(run.stderr.contains(named), "\(run.stderr)")
    }

    /// The same address twice would bind once and then fail the second bind; it is a flag
    /// mistake, found before anything listens.
    @Test func repeatedListenAddressExitsTwoNamingIt() throws {
        let port = try freeLoopbackPort()
        let address = "127.0.0.1:\(port)"
        let run = try runExporter(["--redis.url", "redis://127.0.0.1:1/0",
                                   "--web.listen-address", address, "--web.listen-address", address])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("--web.listen-address") && run.stderr.contains(address), "\(run.stderr)")
        #expect(!run.stderr.contains("listening"), "nothing was bound: \(run.stderr)")
    }

    @Test func helpListsEveryFlagWithItsDefault() throws {
        let run = try runExporter(["--help"])
        #expect(run.status == 0)
        for flag in ["--redis.url", "--redis.password-file", "--redis.timeout", "--streams", "--streams.pattern",
                     "--streams.discovery-interval", "--streams.max", "--consumer-group", "--poll.interval",
                     "--lag.degraded-threshold", "--lag.unhealthy-threshold", "--lag.count-limit", "--lag.stall-after",
                     "--consumers.max-per-group", "--web.listen-address", "--web.telemetry-path", "--log.level",
                     "--log.format", "--version", "--web.max-connections", "--web.config.file", "--web.disable-auth",
                     "--auth.bearer-tokens-file", "--auth.jwt.hmac-secret-file", "--auth.jwt.public-key-file",
                     "--auth.jwt.jwks-file", "--auth.jwt.issuer", "--auth.jwt.audience",
                     "--redis.tls.ca-file", "--redis.tls.cert-file", "--redis.tls.key-file", "--redis.tls.server-name",
                     "--redis.tls.insecure-skip-verify", "--redis.sentinel.master", "--redis.sentinel.password-file",
                     "--redis.cluster", "--streams.exclude", "--lag.window",
                     "--web.max-connections-per-ip", "--web.header-timeout"] {
            #expect(run.stdout.contains(flag), "--help lacks \(flag)")
        }
        for defaultValue in ["redis://localhost:6380/0", "signalr-consumers", "127.0.0.1:9840", "5s", "5m", "10000", "512", "64", "10s"] {
            #expect(run.stdout.contains(defaultValue), "--help lacks default \(defaultValue)")
        }
    }

    @Test func versionNamesEveryLibrary() throws {
        let run = try runExporter(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("hiredis 0.14"))
        #expect(run.stdout.contains("libmicrohttpd 0.9"))
        #expect(run.stdout.contains("swift 6"))
    }

    @Test func bindFailureExitsOneNamingTheAddress() throws {
        let first = try ExporterProcess(["--redis.url", "redis://127.0.0.1:1/0"])
        let address = "127.0.0.1:\(first.port)"
        let second = try runExporter(["--redis.url", "redis://127.0.0.1:1/0", "--web.listen-address", address])
        #expect(second.status == 1)
        #expect(second.stderr.contains(address))
        #expect(first.terminate() == 0)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalStopsCleanly(signal: Int32) throws {
        // Redis unreachable at start is not fatal: it serves, says so, and stops cleanly.
        let exporter = try ExporterProcess(["--redis.url", "redis://127.0.0.1:1/0", "--poll.interval", "50ms"])
        try eventually(10, "first poll") { try exporter.get("/-/ready").status == 200 }
        let health = try exporter.get("/api/v1/events/health")
        #expect(health.status == 503)
        #expect(try health.json().bool("redis_connected") == false)
        #expect(exporter.terminate(signal: signal) == 0)
        #expect(exporter.stderr.text.contains("msg=stopped"))
    }

    @Test func environmentFallbacksApply() throws {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "env:s", "env-group", "0", "MKSTREAM")
        try h.conn.addEntries("env:s", 4)
        let exporter = try ExporterProcess(["--poll.interval", "100ms"], environment: [
            "REDIS_URL": h.redis.url, "EVENT_STREAMS": "env:s", "EVENT_TRANSPORT_CONSUMER_GROUP": "env-group",
        ])
        h.exporter = exporter
        let json = try h.freshJSON()
        #expect(try json.object("streams").object("env:s").object("groups").object("env-group").int("lag") == 4)
        #expect(json.int("stream_count") == 1)
    }
}
