import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

/// Streams and groups coming and going, bad keys, Redis dying and coming back, stalls.
@Suite("Lifecycle", .serialized)
struct LifecycleTests {
    @Test(arguments: RedisVersion.all)
    func streamsComeAndGoAndBadKeysAreSkipped(version: RedisVersion) throws {
        let h = try Harness(version)
        let r = h.conn
        try r.run("XGROUP", "CREATE", "s:fixed", "other", "$", "MKSTREAM")  // g1 is missing here
        try r.run("SET", "s:wrong", "not a stream")
        try r.run("SET", "dyn:bad", "not a stream")
        try r.run("XGROUP", "CREATE", "dyn:a", "g1", "$", "MKSTREAM")
        try r.addEntries("dyn:a", 5)
        let exporter = try h.startExporter([
            "--streams", "s:fixed,s:wrong", "--streams.pattern", "dyn:*",
            "--streams.discovery-interval", "100ms", "--consumer-group", "g1",
        ])
        var json = try h.freshJSON()
        var streams = try json.object("streams")
        #expect(Set(streams.keys) == ["s:fixed", "s:wrong", "dyn:a"], "dyn:bad is not a stream: never monitored")
        let missing = try streams.object("s:fixed").object("groups").object("g1")
        #expect(missing.bool("exists") == false)
        #expect(missing.isNull("lag"))
        #expect(try streams.object("s:wrong").bool("exists") == false)
        #expect(try streams.object("dyn:a").object("groups").object("g1").int("lag") == (try r.undelivered("dyn:a", group: "g1").count))
        let health = try exporter.get("/api/v1/events/health").json()
        #expect(health.string("status") == "degraded")
        let reasons = health["reasons"] as? [String] ?? []
        #expect(reasons.contains { $0.contains("s:fixed") && $0.contains("g1") && $0.contains("does not exist") })
        #expect(reasons.contains { $0.contains("s:wrong") && $0.contains("not a stream") })
        var m = MetricSamples(try exporter.get("/metrics").text)
        #expect((m.value("event_exporter_poll_errors_total", ["reason": "wrongtype"]) ?? 0) >= 1)
        #expect((m.value("event_exporter_poll_errors_total", ["reason": "missing_group"]) ?? 0) >= 1)
        #expect(m.series("event_consumer_lag").map { $0["stream"]! } == ["dyn:a"])

        // A stream deleted while running leaves with its series; a new one arrives.
        try r.run("DEL", "dyn:a")
        try r.run("XGROUP", "CREATE", "dyn:b", "g1", "0", "MKSTREAM")
        try r.addEntries("dyn:b", 3)
        try eventually(10, "dyn:a gone and dyn:b found") {
            json = try h.freshJSON()
            streams = try json.object("streams")
            return Set(streams.keys) == ["s:fixed", "s:wrong", "dyn:b"]
        }
        m = MetricSamples(try exporter.get("/metrics").text)
        #expect(!m.samples.keys.contains { $0.labels["stream"] == "dyn:a" }, "no series of a deleted stream")
        #expect(m.value("event_consumer_lag", ["stream": "dyn:b", "consumer_group": "g1"]).map(Int.init)
                == (try r.undelivered("dyn:b", group: "g1").count))
        #expect(m.value("event_exporter_streams_monitored") == 3)
        #expect(json.int("stream_count") == 3)
    }

    @Test(arguments: RedisVersion.all)
    func redisKilledAndRestarted(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 20)
        let exporter = try h.startExporter()
        let before = try h.freshJSON()
        let lag = try before.object("streams").object("events:chat").int("lag")
        #expect(lag == 20)
        let port = h.redis.port
        h.redis.stop()

        try eventually(10, "redis reported down") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 0
        }
        let down = MetricSamples(try exporter.get("/metrics").text)
        #expect(down.series("event_consumer_lag").isEmpty, "no frozen lag values while Redis is down")
        #expect(down.value("event_exporter_build_info", down.series("event_exporter_build_info").first ?? [:]) == 1)
        let stale = try exporter.get("/api/v1/events/consumer-lag").json()
        #expect(stale.bool("redis_connected") == false)
        #expect(stale.bool("stale") == true)
        #expect(try stale.object("streams").object("events:chat").int("lag") == lag, "last snapshot kept, nothing invented")
        let health = try exporter.get("/api/v1/events/health")
        #expect(health.status == 503)
        #expect(try health.json().bool("redis_connected") == false)
        #expect(try exporter.get("/-/healthy").status == 200)

        try h.redis.start(port: port)
        let fresh = try h.redis.connect()
        try fresh.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try fresh.addEntries("events:chat", 7)
        try eventually(15, "reconnected with backoff") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 1
        }
        let after = try h.freshJSON()
        #expect(try after.object("streams").object("events:chat").int("lag") == (try fresh.undelivered("events:chat", group: "signalr-consumers").count))
        #expect(after.bool("stale") == false)
        #expect(exporter.stderr.text.contains("reconnecting"))
    }

    @Test(arguments: RedisVersion.all)
    func stalledGroupIsUnhealthyUntilItMoves(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 10)
        let exporter = try h.startExporter(["--lag.stall-after", "500ms"])
        try eventually(10, "stalled") {
            let g = try h.freshJSON().object("streams").object("events:chat").object("groups").object("signalr-consumers")
            return g.bool("stalled") == true
        }
        let g = try h.freshJSON().object("streams").object("events:chat").object("groups").object("signalr-consumers")
        #expect(g.string("status") == "unhealthy", "stalled is unhealthy even with lag 10")
        #expect(try exporter.get("/api/v1/events/health").status == 503)
        let labels = ["stream": "events:chat", "consumer_group": "signalr-consumers"]
        #expect(MetricSamples(try exporter.get("/metrics").text).value("event_consumer_stalled", labels) == 1)

        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "c", "COUNT", "3", "STREAMS", "events:chat", ">")
        let moved = try h.freshJSON().object("streams").object("events:chat").object("groups").object("signalr-consumers")
        #expect(moved.bool("stalled") == false, "the clock restarts when last-delivered-id moves")
        #expect(moved.string("status") == "healthy")
    }

    @Test(arguments: RedisVersion.all)
    func consumersAreCappedAndEveryGroupCanBeWatched(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "a", "0", "MKSTREAM")
        try h.conn.run("XGROUP", "CREATE", "events:chat", "b", "0")
        try h.conn.addEntries("events:chat", 30)
        for i in 1...5 {
            try h.conn.run("XREADGROUP", "GROUP", "a", "c\(i)", "COUNT", "2", "STREAMS", "events:chat", ">")
        }
        let exporter = try h.startExporter(["--consumer-group", "*", "--consumers.max-per-group", "2", "--streams", "events:chat"])
        let groups = try h.freshJSON().object("streams").object("events:chat").object("groups")
        #expect(Set(groups.keys) == ["a", "b"])
        let a = try groups.object("a")
        #expect((a["consumers"] as? [[String: Any]])?.map { $0.string("name")! } == ["c1", "c2"])
        #expect(a.int("consumer_count") == 5)
        #expect(a.int("consumers_dropped") == 3)
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_consumer_group_consumers", ["stream": "events:chat", "consumer_group": "a"]) == 5)
        #expect(m.series("event_consumer_instance_pending").count == 2)
        for name in ["a", "b"] {
            #expect(m.value("event_consumer_lag", ["stream": "events:chat", "consumer_group": name]).map(Int.init)
                    == (try h.conn.undelivered("events:chat", group: name).count))
        }
        let idle = try #require(m.value("event_consumer_instance_idle_seconds", ["stream": "events:chat", "consumer_group": "a", "consumer": "c1"]))
        #expect(idle >= 0 && idle < 60)
        let inactive = m.value("event_consumer_instance_inactive_seconds", ["stream": "events:chat", "consumer_group": "a", "consumer": "c1"])
        let (major, minor) = h.conn.serverMajorMinor
        #expect((inactive != nil) == (major > 7 || (major == 7 && minor >= 2)), "inactive only where Redis >= 7.2 gives it")
    }
}
