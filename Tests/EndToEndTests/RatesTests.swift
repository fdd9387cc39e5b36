import Foundation
import Testing

/// Rates, trend and rewinds against a real Redis: `stream-lag-traffic` makes real traffic, and the
/// exporter's produce and consume rates are compared with the deltas of Redis' own counters
/// (`XINFO STREAM` entries-added, `XINFO GROUPS` entries-read) over the same stretch of Redis'
/// clock; a rewind is `XGROUP SETID` to an earlier ID.
@Suite("Rates and rewinds", .serialized)
struct RatesTests {
    static let group = "signalr-consumers"

    /// Redis' clock (ms), the stream's entries-added and the group's entries-read, read together.
    static func counters(_ h: Harness, _ key: String) throws -> (ms: Int64, added: Int, read: Int) {
        let ms = try h.conn.redisTimeMs()
        let info = try h.conn.run("XINFO", "STREAM", key).array ?? []
        var added = 0
        for i in stride(from: 0, to: info.count - 1, by: 2) where info[i].text == "entries-added" { added = Int(info[i + 1].int ?? 0) }
        let read = Int(try h.conn.groups(key)[group]?["entries-read"]?.int ?? 0)
        return (ms, added, read)
    }

    @Test(arguments: RedisVersion.all)
    func ratesFollowRedisCountersAndRewindsAreCounted(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = "events:rates"
        try h.conn.run("XGROUP", "CREATE", key, Self.group, "$", "MKSTREAM")
        let traffic = Process()
        traffic.executableURL = Binaries.directory.appendingPathComponent("stream-lag-traffic")
        traffic.arguments = ["--redis.url", h.redis.url, "--streams", key, "--consumer-group", Self.group,
                             "--produce-rate", "200", "--consume-rate", "150", "--duration", "20s"]
        traffic.standardOutput = FileHandle.nullDevice
        traffic.standardError = FileHandle.nullDevice
        try traffic.run()
        defer { traffic.terminate(); traffic.waitUntilExit() }
        try h.startExporter(["--streams", key, "--lag.window", "2s"])
        usleep(2_500_000)  // a full window of traffic

        let before = try Self.counters(h, key)
        let json = try h.freshJSON()
        let after = try Self.counters(h, key)
        let g = try json.object("streams").object(key).object("groups").object(Self.group)
        if h.conn.serverMajorMinor.0 < 7 {
            // Redis 6.2 has neither counter: no rates, and no drain time (but 0 at lag 0), never 0.
            #expect(g.isNull("produce_rate") && g.isNull("consume_rate"))
            #expect(g.isNull("drain_seconds") || g.int("lag") == 0)
        } else {
            // Redis' own rates over about the window that ended as the snapshot was taken.
            let seconds = Double(after.ms - before.ms) / 1000
            #expect(seconds > 0)
            let produce = try #require(g.double("produce_rate"))
            let consume = try #require(g.double("consume_rate"))
            // Redis' counters over the last two seconds, from the traffic generator's steady rate:
            // entries-added grows at --produce-rate, entries-read at what the group reads.
            usleep(2_000_000)
            let later = try Self.counters(h, key)
            let redisProduce = Double(later.added - after.added) / (Double(later.ms - after.ms) / 1000)
            let redisConsume = Double(later.read - after.read) / (Double(later.ms - after.ms) / 1000)
            #expect(abs(produce - redisProduce) / redisProduce < 0.25, "produce \(produce) vs Redis' \(redisProduce)")
            #expect(consume > 0 && consume < produce * 2, "consume \(consume) vs Redis' \(redisConsume)")
            let window = try h.freshJSON().object("streams").object(key).object("groups").object(Self.group)
            let consumeNow = try #require(window.double("consume_rate"))
            #expect(abs(consumeNow - redisConsume) / max(redisConsume, 1) < 0.35, "consume \(consumeNow) vs Redis' \(redisConsume)")
        }
        #expect(["growing", "draining", "steady"].contains(g.string("trend") ?? ""), "three polls in: a trend")
        #expect(g.int("rewinds") == 0)

        // A rewind: the group set back to the stream's first entry.
        traffic.terminate()
        traffic.waitUntilExit()
        let first = try #require(h.conn.run("XRANGE", key, "-", "+", "COUNT", "1").array?.first?.array?.first?.text)
        try h.conn.run("XGROUP", "SETID", key, Self.group, first)
        var rewound: [String: Any] = [:]
        try eventually(5, "the rewind seen") {
            rewound = try h.freshJSON().object("streams").object(key).object("groups").object(Self.group)
            return rewound.int("rewinds") == 1
        }
        let m = MetricSamples(try h.exporter!.get("/metrics").text)
        #expect(m.value("event_consumer_rewinds_total", ["stream": key, "consumer_group": Self.group]) == 1)
        usleep(500_000)
        #expect(h.exporter!.stderr.text.components(separatedBy: "consumer group rewound").count - 1 == 1, "logged once")
    }
}
