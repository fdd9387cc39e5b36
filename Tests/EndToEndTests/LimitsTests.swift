import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

/// Caps, vanishing series, and a Redis too slow to answer.
@Suite("Limits")
struct LimitsTests {
    @Test func streamsMaxDropsAndCountsTheExcess() throws {
        let h = try Harness(RedisVersion.all[0])
        for i in 0..<6 { try h.conn.run("XGROUP", "CREATE", "many:\(i)", "signalr-consumers", "0", "MKSTREAM") }
        let exporter = try h.startExporter(["--streams", "fixed:a,fixed:b", "--streams.pattern", "many:*", "--streams.max", "4"])
        let json = try h.freshJSON()
        let names = try json.object("streams").keys.sorted()
        // The fixed streams always count first; the first discovered ones by key order fill the rest.
        #expect(names == ["fixed:a", "fixed:b", "many:0", "many:1"])
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_exporter_streams_dropped") == 4)
        #expect(m.value("event_exporter_streams_monitored") == 4)
        #expect(exporter.stderr.text.contains("--streams.max"))
    }

    /// Polls slower than `--poll.interval`: each overrun is counted, the next poll starts at once
    /// (no pile-up: never more polls than cycles fit in the time), and the figures stay fresh.
    @Test func pollsSlowerThanTheIntervalAreCountedAndStayFresh() throws {
        let h = try Harness(RedisVersion.newest)
        // Enough streams that a poll cannot fit in 10 ms.
        var commands: [[[UInt8]]] = []
        for i in 0..<3000 {
            commands.append(["XGROUP", "CREATE", "slow:\(i)", "signalr-consumers", "0", "MKSTREAM"].map { Array($0.utf8) })
            commands.append(["XADD", "slow:\(i)", "*", "k", "v"].map { Array($0.utf8) })
        }
        _ = try h.conn.pipeline(commands)
        let exporter = try h.startExporter(["--streams.pattern", "slow:*", "--consumer-group", "*"], pollInterval: "10ms")
        let started = Date()
        let first = MetricSamples(try exporter.get("/metrics").text)
        try eventually(20, "overruns counted") {
            (MetricSamples(try exporter.get("/metrics").text).value("event_exporter_poll_overruns_total") ?? 0) >= 5
        }
        let m = MetricSamples(try exporter.get("/metrics").text)
        let elapsed = Date().timeIntervalSince(started)
        let polls = (m.value("event_exporter_polls_total") ?? 0) - (first.value("event_exporter_polls_total") ?? 0)
        let pollSeconds = (m.value("event_exporter_poll_duration_seconds_sum") ?? 0) - (first.value("event_exporter_poll_duration_seconds_sum") ?? 0)
        // Back to back: the polls' own time fills most of the wall time, with no waits between them.
        #expect(polls >= 1 && pollSeconds <= elapsed + 0.5, "\(polls) polls, \(pollSeconds) s polling in \(elapsed) s")
        #expect(m.series("event_consumer_lag").count == 3000, "slow polls are not served as stale")
        #expect(try exporter.get("/api/v1/events/consumer-lag").json().bool("stale") == false)

        // A body of megabytes is written (and compressed) in 64 KB chunks: gzip'ed OpenMetrics
        // decodes to the plain OpenMetrics of the same publication.
        exporter.terminate()
        let still = try h.startExporter(["--streams.pattern", "slow:*", "--consumer-group", "*"], pollInterval: "1h")
        let om = "Accept: application/openmetrics-text;version=1.0.0"
        let plain = try still.get("/metrics", headers: [om])
        let gz = try still.get("/metrics", headers: [om], curl: ["--compressed"])
        #expect(gz.header("content-encoding") == "gzip")
        #expect(plain.body.count > 1_000_000 && plain.text.hasSuffix("# EOF\n"))
        #expect(gz.text == plain.text, "gzip written in chunks decodes to the same body")
    }

    /// `cap:0` is fixed and matches the pattern too: 5 monitored (it, then the 4 smallest other
    /// matches), 3 dropped; the fixed stream must not use up a second place.
    @Test func aFixedStreamThatMatchesThePatternCountsOnce() throws {
        let h = try Harness(RedisVersion.all[0])
        for i in 0..<8 { try h.conn.run("XGROUP", "CREATE", "cap:\(i)", "signalr-consumers", "0", "MKSTREAM") }
        let matching = try h.conn.scanStreams("cap:*").sorted()
        let exporter = try h.startExporter(["--streams", "cap:0", "--streams.pattern", "cap:*", "--streams.max", "5"])
        let json = try h.freshJSON()
        let names = try json.object("streams").keys.sorted()
        #expect(names == ["cap:0"] + matching.filter { $0 != "cap:0" }.prefix(4))
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_exporter_streams_monitored") == 5)
        #expect(m.value("event_exporter_streams_dropped").map(Int.init) == matching.count - 5)
    }

    @Test(arguments: RedisVersion.all)
    func vanishedConsumersAndGroupsLoseTheirSeries(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "keep", "0", "MKSTREAM")
        try h.conn.run("XGROUP", "CREATE", "events:chat", "drop", "0")
        try h.conn.addEntries("events:chat", 5)
        for c in ["c1", "c2"] { try h.conn.run("XREADGROUP", "GROUP", "keep", c, "COUNT", "1", "STREAMS", "events:chat", ">") }
        let exporter = try h.startExporter(["--consumer-group", "*", "--streams", "events:chat"])
        var m = try h.freshMetrics()
        #expect(Set(m.series("event_consumer_instance_pending").compactMap { $0["consumer"] }) == ["c1", "c2"])
        #expect(Set(m.series("event_consumer_lag").compactMap { $0["consumer_group"] }) == ["keep", "drop"])
        try h.conn.run("XGROUP", "DELCONSUMER", "events:chat", "keep", "c2")
        try h.conn.run("XGROUP", "DESTROY", "events:chat", "drop")
        m = try h.freshMetrics()
        #expect(Set(m.series("event_consumer_instance_pending").compactMap { $0["consumer"] }) == ["c1"])
        #expect(!m.samples.keys.contains { $0.labels["consumer_group"] == "drop" })
        #expect(m.value("event_stream_groups", ["stream": "events:chat"]).map(Int.init) == (try h.conn.groups("events:chat").count))
        _ = exporter
    }

    @Test func aFrozenRedisNeverSlowsAResponse() throws {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 10)
        // A Redis timeout far longer than any response may take: a handler that waited for the
        // poll stuck on Redis would take close to it, one that does not takes milliseconds, even
        // under a sanitizer on a busy machine.
        let timeout = 30.0
        let exporter = try h.startExporter(["--redis.timeout", "\(Int(timeout))s"])
        _ = try h.freshJSON()
        h.redis.pause()
        defer { h.redis.resume() }
        usleep(300_000)  // a poll is now blocked inside a round trip
        var slowest = 0.0
        for _ in 0..<20 {
            for path in ["/metrics", "/api/v1/events/consumer-lag", "/api/v1/events/health"] {
                let started = Date()
                #expect(try exporter.get(path).status < 500 || path.hasSuffix("health"))
                slowest = max(slowest, Date().timeIntervalSince(started))
            }
        }
        // Each request is a local curl (process start included, on a busy machine).
        #expect(slowest < timeout / 3, "slowest response \(slowest)s while Redis was frozen")
        // The poll has been stuck for more than 3 intervals of 100 ms: the last snapshot is stale
        // by the one freshness rule, although no poll has failed yet.
        let frozen = try exporter.get("/api/v1/events/consumer-lag").json()
        #expect(frozen.bool("stale") == true, "a snapshot older than 3 poll intervals is stale")
        #expect(MetricSamples(try exporter.get("/metrics").text).series("event_consumer_lag").isEmpty,
                "no frozen lag figures in /metrics")
        h.redis.resume()
        let after = try h.freshJSON()
        #expect(after.bool("redis_connected") == true)
    }
}
