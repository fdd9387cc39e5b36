import Foundation
import Testing

/// `--streams.exclude`: keys matching a glob are never monitored, whether fixed or discovered;
/// what is left equals what Redis' own glob (`SCAN … MATCH`) leaves.
@Suite("Excluded streams")
struct ExcludeTests {
    /// Every key `SCAN … MATCH pattern` returns, as Redis matches it.
    static func scan(_ h: Harness, _ pattern: String) throws -> Set<String> {
        var cursor = "0", keys = Set<String>()
        repeat {
            let reply = try h.conn.run("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
            cursor = reply.array?[0].text ?? "0"
            for key in reply.array?[1].array ?? [] { if let k = key.text { keys.insert(k) } }
        } while cursor != "0"
        return keys
    }

    @Test(arguments: RedisVersion.all)
    func excludedKeysAreNeverMonitored(version: RedisVersion) throws {
        let h = try Harness(version)
        let names = ["events:chat", "events:ticket", "events:tmp:1", "events:tmp:2", "events:tmp-x", "events:t1", "events:keep"]
        for name in names {
            try h.conn.run("XGROUP", "CREATE", name, "g", "0", "MKSTREAM")
            try h.conn.addEntries(name, 3)
        }
        // A fixed key that is excluded, a fixed key that is not, a discovery pattern, two globs.
        try h.startExporter(["--streams", "events:tmp:fixed,events:keep", "--streams.pattern", "events:*",
                             "--streams.exclude", "events:tmp:*", "--streams.exclude", "events:t?",
                             "--consumer-group", "g"])
        let json = try h.freshJSON()
        let monitored = Set(try json.object("streams").keys)
        let expected = try Self.scan(h, "events:*").subtracting(Self.scan(h, "events:tmp:*")).subtracting(Self.scan(h, "events:t?"))
        #expect(monitored == expected)
        #expect(monitored == ["events:chat", "events:ticket", "events:tmp-x", "events:keep"])
        #expect(!monitored.contains("events:tmp:fixed"), "an excluded fixed key is not monitored, not even as missing")
        let g = try json.object("streams").object("events:keep").object("groups").object("g")
        #expect(g.int("lag") == (try h.conn.undelivered("events:keep", group: "g")).count)
        let text = try h.exporter!.get("/metrics").text
        #expect(!text.contains("events:tmp:"), "no series of an excluded key")
        #expect(MetricSamples(text).value("event_exporter_streams_monitored") == 4)
        #expect(MetricSamples(text).value("event_exporter_streams_dropped") == 0, "excluded keys are not dropped ones")
    }

    @Test func anEmptyGlobIsABadFlag() throws {
        let run = try runExporter(["--streams.exclude", ""])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--streams.exclude"))
    }
}
