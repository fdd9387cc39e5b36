import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

/// The exporter as an ACL user with only the rule `docs/redis.md` gives: the same figures as
/// the default user, and a missing permission said as `noperm`, never as zero lag.
@Suite("ACL user", .serialized)
struct ACLTests {
    static let user = "stream-lag-exporter"

    /// The `ACL SETUSER` line of docs/redis.md, with `password` in place of `CHANGE-ME`.
    static func documentedRule(password: String, marker name: String = "acl-rule") throws -> [String] {
        let doc = try String(contentsOf: Binaries.packageRoot.appendingPathComponent("docs/redis.md"), encoding: .utf8)
        guard let marker = doc.range(of: "<!-- \(name) -->"),
              let line = doc[marker.upperBound...].split(separator: "\n").first(where: { $0.hasPrefix("ACL SETUSER") })
        else { throw TestFailure("docs/redis.md has no ACL SETUSER line after <!-- \(name) -->") }
        return line.replacingOccurrences(of: ">CHANGE-ME", with: ">\(password)").split(separator: " ").map(String.init)
    }

    @Test(arguments: RedisVersion.all)
    func everyFigureMatchesRedisAsTheDocumentedUser(version: RedisVersion) throws {
        let h = try Harness(version)
        let password = "acl-\(UUID().uuidString.prefix(8))"
        let reply = try h.conn.command(try Self.documentedRule(password: password))
        #expect(reply.errorMessage == nil, "\(reply)")
        // The user really is limited: a write and an admin command are refused.
        let limited = try RedisConnection(endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: h.redis.port),
                                                                  username: Self.user, password: password), timeoutSeconds: 2)
        #expect(try limited.command(["XADD", "events:chat", "*", "k", "v"]).errorMessage?.hasPrefix("NOPERM") == true)
        #expect(try limited.command(["CONFIG", "GET", "maxmemory"]).errorMessage?.hasPrefix("NOPERM") == true)

        try EndpointTests.compareEveryFigure(h, url: "redis://\(Self.user):\(password)@127.0.0.1:\(h.redis.port)/0",
                                             exporterArguments: ["--streams.pattern", "events:*"])
        let m = MetricSamples(try require(h.exporter).get("/metrics").text)
        #expect(m.value("event_exporter_poll_errors_total", ["reason": "noperm"]) == 0)
        #expect(m.value("event_exporter_poll_errors_total", ["reason": "auth"]) == 0)
    }

    /// The user in the URL, its password from `--redis.password-file`, a database other than 0.
    @Test func passwordFromAFile() throws {
        let h = try Harness(.newest)
        let password = "acl-\(UUID().uuidString.prefix(8))"
        try h.conn.command(try Self.documentedRule(password: password))
        try h.conn.run("SELECT", "3")
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 9)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "c", "COUNT", "2", "STREAMS", "events:chat", ">")
        let secrets = try SecretsDir()
        let file = try secrets.write("redis-password", password + "\n")
        try h.startExporter(["--redis.password-file", file], url: "redis://\(Self.user)@127.0.0.1:\(h.redis.port)/3")
        let json = try h.freshJSON()
        let lag = try json.object("streams").object("events:chat").object("groups").object("signalr-consumers").int("lag")
        #expect(lag == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
        #expect(!(try require(h.exporter).stderr.text.contains(password)))
    }

    /// A rule without TIME: every poll fails as `noperm`, said in the log, the API has no lag
    /// to show (503), and the process keeps serving.
    @Test func aMissingCommandIsNoperm() throws {
        let h = try Harness(.newest)
        let password = "acl-\(UUID().uuidString.prefix(8))"
        let rule = try Self.documentedRule(password: password).filter { $0 != "+time" }
        try h.conn.command(rule)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 3)
        let exporter = try ExporterProcess(["--redis.url", "redis://\(Self.user):\(password)@127.0.0.1:\(h.redis.port)/0",
                                            "--poll.interval", "100ms"])
        try eventually(10, "noperm counted") {
            (MetricSamples(try exporter.get("/metrics").text).value("event_exporter_poll_errors_total", ["reason": "noperm"]) ?? 0) >= 1
        }
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_redis_up") == 0)
        #expect(m.series("event_consumer_lag").isEmpty, "no lag is shown, least of all 0")
        #expect(try exporter.get("/api/v1/events/consumer-lag").status == 503)
        #expect(exporter.stderr.text.contains("reason=noperm") && exporter.stderr.text.contains("NOPERM"))
        #expect(!exporter.stderr.text.contains(password))
        #expect(exporter.process.isRunning)
    }

    /// A key outside the user's key pattern: that stream is unreadable and counted as
    /// `noperm`; the others are polled; no lag of 0 is invented for it.
    @Test func aKeyOutsideThePatternIsNopermForThatStream() throws {
        let h = try Harness(.newest)
        let password = "acl-\(UUID().uuidString.prefix(8))"
        let rule = try Self.documentedRule(password: password).map { $0 == "~*" ? "~events:chat" : $0 }
        try h.conn.command(rule)
        for name in ["events:chat", "events:ticket"] {
            try h.conn.run("XGROUP", "CREATE", name, "signalr-consumers", "0", "MKSTREAM")
            try h.conn.addEntries(name, 4)
        }
        try h.startExporter(url: "redis://\(Self.user):\(password)@127.0.0.1:\(h.redis.port)/0")
        let json = try h.freshJSON()
        let chat = try json.object("streams").object("events:chat").object("groups").object("signalr-consumers")
        #expect(chat.int("lag") == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
        let ticket = try json.object("streams").object("events:ticket")
        #expect(try ticket.object("groups").isEmpty, "no group, so no lag of 0 for it")
        let listed = try require(h.exporter).get("/api/v1/events/streams").json()["streams"] as? [[String: Any]] ?? []
        let entry = try require(listed.first { $0.string("name") == "events:ticket" })
        #expect(entry.string("error")?.contains("NOPERM") == true, "\(entry)")
        let health = try require(h.exporter).get("/api/v1/events/health").json()
        #expect((health["reasons"] as? [String] ?? []).contains { $0.contains("events:ticket") && $0.contains("ACL user") })
        let m = MetricSamples(try require(h.exporter).get("/metrics").text)
        #expect((m.value("event_exporter_poll_errors_total", ["reason": "noperm"]) ?? 0) >= 1)
        #expect(m.value("event_consumer_lag", ["stream": "events:ticket", "group": "signalr-consumers"]) == nil)
        #expect(m.value("event_redis_up") == 1)
    }
}
