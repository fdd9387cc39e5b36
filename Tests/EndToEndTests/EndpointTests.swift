import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

/// Every endpoint against what Redis itself reports, once per Redis version.
@Suite("Endpoints match Redis", .serialized)
struct EndpointTests {
    @Test(arguments: RedisVersion.all)
    func everyFigureMatchesRedis(version: RedisVersion) throws {
        let h = try Harness(version)
        try Self.compareEveryFigure(h, url: h.redis.url)
    }

    /// The same comparison through `unix:///path?db=0`: hiredis' keep-alive call fails on a unix
    /// socket and once poisoned every poll of such a connection.
    @Test(arguments: RedisVersion.all)
    func everyFigureMatchesRedisOverUnixSocket(version: RedisVersion) throws {
        let h = try Harness(version)
        try Self.compareEveryFigure(h, url: h.redis.unixURL)
    }

    /// Makes lag, pending entries, acknowledgements and a missing stream on `h`'s Redis, starts
    /// the exporter on `url` (with `exporterArguments`, such as Sentinel's), and compares every
    /// endpoint with what Redis itself reports.
    static func compareEveryFigure(_ h: Harness, url: String, exporterArguments: [String] = [],
                                   pollInterval: String = "100ms") throws {
        let r = h.conn
        let group = "signalr-consumers"
        try r.run("XGROUP", "CREATE", "events:chat", group, "$", "MKSTREAM")
        try r.addEntries("events:chat", 150)
        try r.run("XREADGROUP", "GROUP", group, "instance-1", "COUNT", "20", "STREAMS", "events:chat", ">")
        try r.run("XREADGROUP", "GROUP", group, "instance-2", "COUNT", "15", "STREAMS", "events:chat", ">")
        let pendingIDs = try r.run("XPENDING", "events:chat", group, "-", "+", "5").array!.map { $0.array![0].text! }
        try r.command(["XACK", "events:chat", group] + pendingIDs)
        try r.run("XGROUP", "CREATE", "events:ticket", group, "$", "MKSTREAM")
        try r.addEntries("events:ticket", 30)
        try r.run("XREADGROUP", "GROUP", group, "instance-1", "COUNT", "100", "STREAMS", "events:ticket", ">")
        let ticketIDs = try r.run("XPENDING", "events:ticket", group, "-", "+", "100").array!.map { $0.array![0].text! }
        try r.command(["XACK", "events:ticket", group] + ticketIDs)

        let exporter = try h.startExporter(exporterArguments, pollInterval: pollInterval, url: url)
        let lagJSON = try h.freshJSON()
        let redisNow = try r.redisTimeMs()
        let streams = try lagJSON.object("streams")
        #expect(Set(streams.keys) == ["events:chat", "events:ticket", "events:remote"])
        #expect(lagJSON.int("stream_count") == streams.count)

        var total = 0
        for name in ["events:chat", "events:ticket"] {
            let stream = try streams.object(name)
            let g = try stream.object("groups").object(group)
            let info = try #require(try r.groups(name)[group])
            let undelivered = try r.undelivered(name, group: group)
            #expect(g.int("lag") == undelivered.count, "\(name) lag")
            if let redisLag = info["lag"]?.int { #expect(g.int("lag") == Int(redisLag)) }
            #expect(g.bool("lag_exact") == true)
            #expect(g.int("pending") == (try r.pendingCount(name, group: group)))
            #expect(g.string("last_delivered_id") == info["last-delivered-id"]?.text)
            if let read = info["entries-read"]?.int {
                #expect(g.int("entries_read") == Int(read))
            } else {
                #expect(g.isNull("entries_read"), "no entries-read before Redis 7: absent, not zero")
            }
            if let first = undelivered.first {
                let expected = Double(redisNow - Int64(first.ms)) / 1000
                let got = try #require(g.double("lag_seconds"))
                #expect(abs(got - expected) < 2, "lag_seconds \(got) vs \(expected)")
            } else {
                #expect(g.double("lag_seconds") == 0)
            }
            let oldest = try r.run("XPENDING", name, group, "-", "+", "1").array ?? []
            if let entry = oldest.first?.array {
                #expect(g.int("oldest_pending_deliveries") == Int(entry[3].int!))
                let idle = Double(entry[2].int!) / 1000
                #expect(abs(try #require(g.double("oldest_pending_idle_seconds")) - idle) < 2)
            } else {
                #expect(g.isNull("oldest_pending_deliveries"))
            }
            let consumers = try r.run("XINFO", "CONSUMERS", name, group).array ?? []
            var expectedConsumers: [String: Int] = [:]
            for c in consumers {
                let items = c.array!
                var map: [String: RedisReply] = [:]
                for i in stride(from: 0, to: items.count, by: 2) { map[items[i].text!] = items[i + 1] }
                expectedConsumers[map["name"]!.text!] = Int(map["pending"]!.int!)
            }
            let got = (g["consumers"] as? [[String: Any]] ?? []).map { ($0.string("name")!, $0.int("pending")!) }
            #expect(Dictionary(uniqueKeysWithValues: got) == expectedConsumers)
            #expect(stream.int("lag") == g.int("lag"))
            #expect((stream["consumers"] as? [String]) == expectedConsumers.keys.sorted())
            total += stream.int("lag") ?? 0
        }
        let remote = try streams.object("events:remote")
        #expect(remote.int("lag") == 0)
        #expect(remote.bool("exists") == false)
        #expect(try remote.object("groups").isEmpty)
        #expect(lagJSON.int("total_lag") == total)
        #expect(lagJSON.bool("redis_connected") == true)
        #expect(lagJSON.bool("stale") == false)

        // /api/v1/events/streams against XLEN, XINFO STREAM and XREVRANGE.
        let streamsJSON = try exporter.get("/api/v1/events/streams").json()
        let list = streamsJSON["streams"] as? [[String: Any]] ?? []
        #expect(list.map { $0.string("name")! } == ["events:chat", "events:remote", "events:ticket"])
        for s in list where s.bool("exists") == true {
            let name = s.string("name")!
            #expect(s.int("length") == (try r.length(name)))
            #expect(s.int("groups") == (try r.groups(name).count))
            let last = try r.run("XREVRANGE", name, "+", "-", "COUNT", "1").array?.first?.array?.first?.text
            #expect(s.string("last_entry_id") == last)
            let first = try r.run("XRANGE", name, "-", "+", "COUNT", "1").array?.first?.array?.first?.text
            #expect(s.string("first_entry_id") == first)
            let info = try StreamInfo(fullReply: r.run("XINFO", "STREAM", name, "FULL", "COUNT", "1"))
            #expect(s.int("entries_added") == info.entriesAdded)
        }

        // Health: chat's lag is above 100 and events:remote is missing: degraded, HTTP 200.
        let health = try exporter.get("/api/v1/events/health")
        let healthJSON = try health.json()
        let maxLag = try [streams.object("events:chat"), streams.object("events:ticket")].compactMap { $0.int("lag") }.max()
        #expect(healthJSON.string("status") == "degraded")
        #expect(health.status == 200)
        #expect(healthJSON.int("max_lag") == maxLag)
        #expect(healthJSON.int("total_lag") == total)
        #expect(healthJSON.string("transport_mode") == "redis_streams")

        // /metrics: the same figures, and promtool accepts the real output.
        let metricsText = try exporter.get("/metrics").text
        let m = MetricSamples(metricsText)
        for name in ["events:chat", "events:ticket"] {
            let labels = ["stream": name, "consumer_group": group]
            #expect(m.value("event_consumer_lag", labels).map(Int.init) == (try r.undelivered(name, group: group).count))
            #expect(m.value("event_consumer_pending", labels).map(Int.init) == (try r.pendingCount(name, group: group)))
            #expect(m.value("event_stream_length", ["stream": name]).map(Int.init) == (try r.length(name)))
            #expect(m.value("event_consumer_lag_exact", labels) == 1)
        }
        #expect(m.series("event_consumer_lag").allSatisfy { $0["stream"] != "events:remote" })
        #expect(m.value("event_redis_up") == 1)
        // 2, or 1 once no group needs a range read (none moved since the last poll: Redis 7+).
        #expect((1...2).contains(m.value("event_exporter_poll_redis_round_trips") ?? 0), "a fixed number of round trips")
        let lint = try promtoolCheck(metricsText)
        #expect(lint.status == 0 && lint.output.isEmpty, "promtool: \(lint.output)")
    }
}
