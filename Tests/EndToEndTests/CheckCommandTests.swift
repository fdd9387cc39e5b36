import Foundation
import Testing

/// `stream-lag-exporter check`: one poll against a real Redis, the table as a terminal shows it,
/// and the exit code a monitoring plugin gives (0 healthy, 1 degraded, 2 unhealthy or stalled,
/// 3 unknown). The figures in the table are compared with Redis' own.
@Suite("check command")
struct CheckCommandTests {
    static let group = "signalr-consumers"

    /// A stream whose group has `lag` undelivered entries (and 2 pending), as Redis counts them.
    static func stream(_ h: Harness, _ name: String, lag: Int) throws {
        try h.conn.run("XGROUP", "CREATE", name, group, "$", "MKSTREAM")
        try h.conn.addEntries(name, 2 + lag)
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "2", "STREAMS", name, ">")
        #expect(try h.conn.undelivered(name, group: group).count == lag)
    }

    static func check(_ h: Harness, _ streams: String, _ extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        try runExporter(["check", "--redis.url", h.redis.url, "--streams", streams, "--lag.degraded-threshold", "5",
                         "--lag.unhealthy-threshold", "20", "--log.level", "error"] + extra)
    }

    /// The row of `stream` in the table: its cells, split on runs of two or more spaces.
    static func row(_ out: String, _ stream: String) -> [String]? {
        out.split(separator: "\n").first { $0.hasPrefix(stream + " ") }.map {
            $0.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    @Test(arguments: RedisVersion.all)
    func exitCodesFollowTheWorstStatus(version: RedisVersion) throws {
        let h = try Harness(version)
        try Self.stream(h, "events:ok", lag: 0)
        try Self.stream(h, "events:behind", lag: 8)
        try Self.stream(h, "events:far", lag: 30)

        let healthy = try Self.check(h, "events:ok")
        #expect(healthy.status == 0, "\(healthy)")
        // As the terminal shows it: a header, a row a group, a status line.
        let lines = healthy.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "STREAM     GROUP              LAG  LAG SECONDS  PENDING  STATUS")
        #expect(Self.row(healthy.stdout, "events:ok") == ["events:ok", Self.group, "0", "0", "2", "healthy"])
        #expect(lines.dropLast().last == "OK: 1 streams, 1 healthy, 0 degraded, 0 unhealthy, total lag 0")
        #expect(healthy.stderr.isEmpty, "nothing logged at --log.level error: \(healthy.stderr)")

        let degraded = try Self.check(h, "events:ok,events:behind")
        #expect(degraded.status == 1)
        let behind = try #require(Self.row(degraded.stdout, "events:behind"))
        #expect(behind[2] == String(try h.conn.undelivered("events:behind", group: Self.group).count))
        #expect(behind[4] == String(try h.conn.pendingCount("events:behind", group: Self.group)))
        #expect(behind[5] == "degraded")
        #expect(degraded.stdout.contains("DEGRADED: 2 streams, 1 healthy, 1 degraded, 0 unhealthy, total lag 8"))

        // A missing stream is degraded too.
        #expect(try Self.check(h, "events:ok,events:nothing-here").status == 1)

        let unhealthy = try Self.check(h, "events:ok,events:behind,events:far")
        #expect(unhealthy.status == 2)
        #expect(Self.row(unhealthy.stdout, "events:far")?[5] == "unhealthy")

        // Stalled (a lag that does not move for --lag.stall-after, here at once): 2 as well.
        // (2 is also a bad flag's status: the table must be there.)
        let stalledBehind = try Self.check(h, "events:behind", ["--lag.stall-after", "0s", "--lag.degraded-threshold", "100",
                                                                "--lag.unhealthy-threshold", "200"])
        #expect(stalledBehind.status == 2, "\(stalledBehind.stderr)")
        #expect(Self.row(stalledBehind.stdout, "events:behind")?[5] == "unhealthy (stalled)")
    }

    @Test func unreachableRedisIsUnknown() throws {
        let h = try Harness(.newest)
        let port = h.redis.port
        h.redis.stop()
        let run = try runExporter(["check", "--redis.url", "redis://127.0.0.1:\(port)/0", "--log.level", "error"])
        #expect(run.status == 3)
        #expect(run.stdout.hasPrefix("UNKNOWN: redis was not polled: "))
        #expect(run.stdout.contains("Connection refused"))
        let json = try runExporter(["check", "--output", "json", "--redis.url", "redis://127.0.0.1:\(port)/0", "--log.level", "error"])
        #expect(json.status == 3)
        let body = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(body?["status"] as? String == "unknown")
        #expect(body?["redis_connected"] as? Bool == false)
    }

    /// `--output json` is the consumer-lag body; no listener is opened (the port stays free).
    @Test func jsonOutputAndNoListener() throws {
        let h = try Harness(.newest)
        try Self.stream(h, "events:behind", lag: 8)
        let port = try freeLoopbackPort()
        let run = try Self.check(h, "events:behind", ["--output", "json", "--web.listen-address", "127.0.0.1:\(port)"])
        #expect(run.status == 1)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let g = try body.object("streams").object("events:behind").object("groups").object(Self.group)
        #expect(g.int("lag") == (try h.conn.undelivered("events:behind", group: Self.group)).count)
        #expect(body.int("stream_count") == 1)
        #expect(!run.stderr.contains("listening"))
        #expect(!RedisServer.listens(port), "check opens no HTTP listener")
    }

    @Test func badOutputIsABadFlag() throws {
        let run = try runExporter(["check", "--output", "yaml"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--output"))
    }
}
