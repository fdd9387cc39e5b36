import Foundation
import LagCore
import RedisClient
import RedisProtocol
import Testing

/// Lag where Redis gives none (null on 7+, absent on 6.2), always compared with an XRANGE count.
@Suite("Lag where Redis cannot tell", .serialized)
struct LagComputationTests {
    let group = "g"

    /// Starts the exporter on `key` (discovered by pattern so binary names work) and returns the
    /// group's JSON and metrics labels once a fresh poll is in.
    private func observe(_ h: Harness, key: [UInt8], extra: [String] = []) throws -> (json: [String: Any], metrics: MetricSamples) {
        if h.exporter == nil {
            try h.startExporter(["--streams", "fixed:none", "--streams.pattern", "t:*", "--streams.discovery-interval", "100ms",
                                 "--consumer-group", group] + extra)
        }
        let display = String(decoding: key, as: UTF8.self)
        var g: [String: Any] = [:]
        try eventually(10, "stream \(display) discovered") {
            let json = try h.freshJSON()
            guard let stream = try? json.object("streams").object(display) else { return false }
            g = try stream.object("groups").object(group)
            return true
        }
        let metrics = MetricSamples(try h.exporter!.get("/metrics").text)
        return (g, metrics)
    }

    private func checkExact(_ h: Harness, key: [UInt8], _ note: Comment) throws {
        let expected = try h.conn.undelivered(key, group: group)
        let (g, m) = try observe(h, key: key)
        #expect(g.int("lag") == expected.count, note)
        #expect(g.bool("lag_exact") == true, note)
        let labels = ["stream": String(decoding: key, as: UTF8.self), "consumer_group": group]
        #expect(m.value("event_consumer_lag", labels).map(Int.init) == expected.count, note)
        #expect(m.value("event_consumer_lag_exact", labels) == 1, note)
        if expected.isEmpty {
            #expect(g.double("lag_seconds") == 0, note)
        } else {
            let now = try h.conn.redisTimeMs()
            let want = Double(now - Int64(expected[0].ms)) / 1000
            #expect(abs((g.double("lag_seconds") ?? -100) - want) < 2, note)
        }
    }

    /// A count stopped at `limit`: flagged, at least the limit and at most the real lag.
    private func expectLowerBound(_ g: [String: Any], limit: Int, expected: Int, _ note: Comment) throws {
        #expect(g.bool("lag_exact") == false, note)
        let lag = try #require(g.int("lag"), note)
        #expect(lag >= limit && lag <= expected, "a lower bound: \(lag) in \(limit)...\(expected); \(note)")
    }

    @Test(arguments: RedisVersion.all)
    func deletionInsideUndeliveredRange(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = Array("t:xdel".utf8)
        try h.conn.run("XGROUP", "CREATE", "t:xdel", group, "0", "MKSTREAM")
        let ids = try h.conn.addEntries(key, 100)
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "20", "STREAMS", "t:xdel", ">")
        try h.conn.run("XDEL", "t:xdel", ids[50], ids[70])
        if h.conn.serverMajorMinor.0 >= 7 {
            #expect(try h.conn.groups("t:xdel")[group]?["lag"] == .null, "Redis itself cannot tell here")
        }
        try checkExact(h, key: key, "XDEL inside the undelivered range")
    }

    @Test(arguments: RedisVersion.all)
    func groupAtZeroOnLongStream(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = Array("t:long".utf8)
        for _ in 0..<5 { try h.conn.addEntries(key, 1000) }
        try h.conn.run("XGROUP", "CREATE", "t:long", group, "0")
        try checkExact(h, key: key, "group created at 0")
    }

    /// A group 10 entries into a 3,000-entry stream, with a count limit of 500: counting the
    /// undelivered entries would stop at the limit. Where nothing was ever deleted (Redis 7+
    /// says so with entries-added), the 10 delivered ones are counted instead: exact. Then
    /// Redis' counter is set one off by hand (7.0 to 7.2 do not trust it): still exact, as the
    /// page read from the first entry shows where the group really is.
    @Test(arguments: RedisVersion.all)
    func groupFarBehindIsCountedFromTheFront(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = Array("t:front".utf8)
        let ids = try h.conn.addEntries(key, 3000)
        try h.conn.run("XGROUP", "CREATE", "t:front", group, "0")
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "10", "STREAMS", "t:front", ">")
        let expected = try h.conn.undelivered(key, group: group)
        #expect(expected.count == 2990)
        let (g, m) = try observe(h, key: key, extra: ["--lag.count-limit", "500"])
        let labels = ["stream": "t:front", "consumer_group": group]
        let (major, minor) = h.conn.serverMajorMinor
        if major >= 7 {
            #expect(g.int("lag") == expected.count)
            #expect(g.bool("lag_exact") == true)
            #expect(m.value("event_consumer_lag", labels).map(Int.init) == expected.count)
            // 1 once the next poll keeps this one's oldest undelivered entry (nothing moved).
            #expect((1...2).contains(m.value("event_exporter_poll_redis_round_trips").map(Int.init) ?? 0))
        } else {
            // 6.2 cannot say that nothing was deleted: a lower bound, flagged.
            #expect(g.bool("lag_exact") == false)
            #expect(g.int("lag") == 500)
        }
        guard (major, minor) >= (7, 0), (major, minor) < (7, 4) else { return }
        try h.conn.run("XGROUP", "SETID", "t:front", group, ids[9], "ENTRIESREAD", "9")
        #expect(try h.conn.groups("t:front")[group]?["lag"] == .integer(2991), "Redis is one off now")
        try eventually(10, "a poll after the change") {
            let g = try h.freshJSON().object("streams").object("t:front").object("groups").object(group)
            return g.int("lag") == expected.count && g.bool("lag_exact") == true
        }
    }

    @Test(arguments: RedisVersion.all)
    func setIDBackwardsAndTrimBelowPosition(version: RedisVersion) throws {
        let h = try Harness(version)
        let back = Array("t:setid".utf8)
        let ids = try h.conn.addEntries(back, 300)
        try h.conn.run("XGROUP", "CREATE", "t:setid", group, "$")
        try h.conn.run("XGROUP", "SETID", "t:setid", group, ids[120])
        try checkExact(h, key: back, "SETID backwards")

        let trimmed = Array("t:trim".utf8)
        try h.conn.addEntries(trimmed, 200)
        try h.conn.run("XGROUP", "CREATE", "t:trim", group, "0")
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "50", "STREAMS", "t:trim", ">")
        try h.conn.run("XTRIM", "t:trim", "MAXLEN", "=", "100")
        try checkExact(h, key: trimmed, "XTRIM MAXLEN below the group's position")
    }

    /// Histories after which Redis 7.0 reports a lag that is not null but wrong (redis#13337,
    /// #13957); 8.2 reports them right. On every version the exporter's figure must equal an
    /// XRANGE count, exact.
    @Test(arguments: RedisVersion.all)
    func historiesWhereRedisOwnLagIsWrong(version: RedisVersion) throws {
        let h = try Harness(version)
        func read(_ key: String, _ count: Int) throws {
            try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "\(count)", "STREAMS", key, ">")
        }
        // Explicit IDs as in the bug reports, a few minutes old so that lag_seconds applies.
        let base = try h.conn.redisTimeMs() - 300_000
        func id(_ i: Int) -> String { "\(base + Int64(i))-0" }
        // Reading across a deleted entry: 7.0 says 4, XRANGE counts 3.
        for i in 1...8 { try h.conn.run("XADD", "t:across", id(i), "n", "\(i)") }
        try h.conn.run("XGROUP", "CREATE", "t:across", group, "0")
        try read("t:across", 2)
        try h.conn.run("XDEL", "t:across", id(3))
        try read("t:across", 2)
        // A trim that overtook the group: 7.0 says 8, the truth is 4.
        for i in 1...10 { try h.conn.run("XADD", "t:overtaken", id(i), "n", "\(i)") }
        try h.conn.run("XGROUP", "CREATE", "t:overtaken", group, "0")
        try read("t:overtaken", 1)
        try h.conn.run("XTRIM", "t:overtaken", "MAXLEN", "5")
        try read("t:overtaken", 1)
        // The same trim, then reading on inside the stream: 7.0 stays wrong for good.
        for i in 1...10 { try h.conn.run("XADD", "t:after", id(i), "n", "\(i)") }
        try h.conn.run("XGROUP", "CREATE", "t:after", group, "0")
        try read("t:after", 1)
        try h.conn.run("XTRIM", "t:after", "MAXLEN", "5")
        try read("t:after", 3)

        var wrongByRedis = 0
        for key in ["t:across", "t:overtaken", "t:after"] {
            let truth = try h.conn.undelivered(key, group: group).count
            let redisLag = try h.conn.groups(key)[group]?["lag"]?.int
            if let redisLag, Int(redisLag) != truth { wrongByRedis += 1 }
            try checkExact(h, key: Array(key.utf8), "\(key) on \(version.name): Redis says \(redisLag.map(String.init) ?? "none"), XRANGE counts \(truth)")
        }
        let (major, minor) = h.conn.serverMajorMinor
        if major == 7 && minor == 0 {
            // The histories reproduce the bugs here: trusting Redis' figure would fail above.
            #expect(wrongByRedis == 3, "Redis 7.0 reports all three wrong")
        }
    }

    @Test(arguments: RedisVersion.all)
    func emptyStreamAndBinaryName(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "t:empty", group, "$", "MKSTREAM")
        try checkExact(h, key: Array("t:empty".utf8), "empty stream")

        // A key with a quote, a newline, a backslash and a byte that is not UTF-8.
        let binary: [UInt8] = Array("t:bin\"\n\\".utf8) + [0xff, 0x41]
        let ids = try h.conn.addEntries(binary, 40)
        try h.conn.runBytes([Array("XGROUP".utf8), Array("CREATE".utf8), binary, Array(group.utf8), Array("0".utf8)])
        try h.conn.runBytes([Array("XDEL".utf8), binary, Array(ids[30].utf8)])
        try checkExact(h, key: binary, "binary key name")
        let display = String(decoding: binary, as: UTF8.self)
        #expect(display.contains("\u{FFFD}"))
        let lint = try promtoolCheck(try h.exporter!.get("/metrics").text)
        #expect(lint.status == 0, "promtool: \(lint.output)")
    }

    /// A group counted in one poll, whose stream since only grew at its end, is not counted
    /// again: its lag is that count plus the entries appended (Redis 7+ reports `entries-added`),
    /// checked against its first undelivered entry. So a group that stopped reading stays exact
    /// as its lag grows past `--lag.count-limit`, where counting would give a lower bound (6.2,
    /// which has no `entries-added`). A deletion ends that; a group moved ahead of the last entry
    /// by `SETID` is never built on (an entry appended below it is not undelivered).
    @Test(arguments: RedisVersion.all)
    func appendedSinceTheLastCountIsAddedToIt(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = Array("t:grow".utf8)
        let limit = 50
        let hasEntriesAdded = h.conn.serverMajorMinor.0 >= 7
        try h.conn.addEntries(key, 200)
        try h.conn.run("XGROUP", "CREATE", "t:grow", group, "0")
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "160", "STREAMS", "t:grow", ">")
        _ = try observe(h, key: key, extra: ["--lag.count-limit", "\(limit)"])
        try checkExact(h, key: key, "40 undelivered: counted within the limit")

        func checkPastLimit(_ note: Comment) throws {
            let expected = try h.conn.undelivered(key, group: group).count
            #expect(expected > limit, note)
            let (g, _) = try observe(h, key: key)
            if hasEntriesAdded {
                #expect(g.int("lag") == expected, note)
                #expect(g.bool("lag_exact") == true, note)
            } else {
                try expectLowerBound(g, limit: limit, expected: expected, note)
            }
        }
        try h.conn.addEntries(key, 30)
        try checkPastLimit("30 appended: 70 undelivered, past the limit")
        try checkPastLimit("nothing changed since")

        let undelivered = try h.conn.undelivered(key, group: group)
        try h.conn.run("XDEL", "t:grow", undelivered[10].description)
        try h.conn.addEntries(key, 5)
        let expected = try h.conn.undelivered(key, group: group).count
        let (g, _) = try observe(h, key: key)
        try expectLowerBound(g, limit: limit, expected: expected, "a deletion: counted again, up to the limit")

        // Caught up (lag 0 at the last entry), then 60 appended: built on where Redis 7+ says so.
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "STREAMS", "t:grow", ">")
        try checkExact(h, key: key, "caught up")
        try h.conn.addEntries(key, 60)
        try checkPastLimit("60 appended after catching up")

        // Moved ahead of the last entry: then one entry below last-delivered-id and one above.
        let last = try #require(try h.conn.undelivered(key, group: group).last)
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "STREAMS", "t:grow", ">")
        let ahead = StreamID(ms: last.ms + 100_000, seq: 0)
        try h.conn.run("XGROUP", "SETID", "t:grow", group, ahead.description)
        try checkExact(h, key: key, "ahead of the last entry")
        try h.conn.run("XADD", "t:grow", StreamID(ms: ahead.ms - 10, seq: 0).description, "n", "below")
        try h.conn.run("XADD", "t:grow", StreamID(ms: ahead.ms + 10, seq: 0).description, "n", "above")
        #expect(try h.conn.undelivered(key, group: group).count == 1)
        try checkExact(h, key: key, "an entry appended below last-delivered-id is not undelivered")
    }

    /// Range reads Redis itself has answered so far (`INFO commandstats`).
    private func rangeReads(_ h: Harness) throws -> Int {
        let text = try h.conn.run("INFO", "commandstats").text ?? ""
        guard let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_xrange:") }) else { return 0 }
        return Int(line.split(separator: "=")[1].split(separator: ",")[0]) ?? -1
    }

    /// A group that did not move, on a stream from which nothing was deleted since the last
    /// poll, keeps the oldest undelivered entry that poll found: no range read (Redis 7+, whose
    /// `entries-added` and `max-deleted-entry-id` tell that nothing was deleted; 6.2 reads it
    /// every poll). Entries 100 s apart, so an oldest entry kept when it should not be shows in
    /// `lag_seconds`: a deletion of that entry, or the stream created again, is read again.
    @Test(arguments: RedisVersion.all)
    func oldestUndeliveredKeptWhileNothingIsDeleted(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = "t:keep"
        let keeps = h.conn.serverMajorMinor.0 >= 7
        let base = try h.conn.redisTimeMs() - 10_000_000
        func id(_ i: Int) -> String { "\(base + Int64(i) * 100_000)-0" }
        for i in 0..<20 { try h.conn.run("XADD", key, id(i), "n", "\(i)") }
        try h.conn.run("XGROUP", "CREATE", key, group, "0")
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "5", "STREAMS", key, ">")
        try checkExact(h, key: Array(key.utf8), "first poll")

        /// Exact after the change, then whether Redis answered a range read in the two polls
        /// after that (the test's own `XRANGE`s are made outside them), then exact again.
        func readAgain(_ note: Comment) throws {
            try checkExact(h, key: Array(key.utf8), note)
            let before = try rangeReads(h)
            _ = try h.freshJSON()
            _ = try h.freshJSON()
            let reads = try rangeReads(h) - before
            try checkExact(h, key: Array(key.utf8), note)
            if keeps {
                #expect(reads == 0, "no range read: \(note)")
            } else {
                #expect(reads > 0, "6.2 reads every poll: \(note)")
            }
        }
        try readAgain("nothing changed")
        for i in 20..<23 { try h.conn.run("XADD", key, id(i), "n", "\(i)") }
        try readAgain("appended only")

        // The oldest undelivered entry deleted: read again, the next one 100 s younger.
        let first = try #require(try h.conn.undelivered(key, group: group).first)
        try h.conn.run("XDEL", key, first.description)
        try checkExact(h, key: Array(key.utf8), "the oldest undelivered entry deleted")
        try readAgain("nothing changed since the deletion")

        // Created again with the same IDs but the oldest undelivered one, the group where it was.
        let last = try #require(try h.conn.groups(key)[group]?["last-delivered-id"]?.text)
        let oldest = try #require(try h.conn.undelivered(key, group: group).first)
        try h.conn.run("DEL", key)
        for i in 0..<23 where id(i) != oldest.description && id(i) != first.description {
            try h.conn.run("XADD", key, id(i), "n", "\(i)")
        }
        try h.conn.run("XGROUP", "CREATE", key, group, last)
        try checkExact(h, key: Array(key.utf8), "created again without its oldest undelivered entry")
    }

    @Test(arguments: RedisVersion.all)
    func countLimitGivesALowerBound(version: RedisVersion) throws {
        let h = try Harness(version)
        let key = Array("t:limit".utf8)
        let ids = try h.conn.addEntries(key, 400)
        try h.conn.run("XGROUP", "CREATE", "t:limit", group, "0")
        try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "10", "STREAMS", "t:limit", ">")
        try h.conn.run("XDEL", "t:limit", ids[200])
        let limit = 50
        let expected = try h.conn.undelivered(key, group: group).count
        #expect(expected > limit)
        let (g, m) = try observe(h, key: key, extra: ["--lag.count-limit", "\(limit)"])
        let labels = ["stream": "t:limit", "consumer_group": group]
        try expectLowerBound(g, limit: limit, expected: expected, "XDEL inside, past the limit")
        #expect(m.value("event_consumer_lag_exact", labels) == 0)
        // A 50-entry limit fits in one page: the count shares round trip 2 with the oldest entry.
        #expect(m.value("event_exporter_poll_redis_round_trips").map(Int.init) == 2)
    }

    /// Counting costs a fixed number of round trips, not one per group: 20 groups that each
    /// need two pages of 1000 still make a 3-round-trip poll.
    @Test(arguments: RedisVersion.all)
    func countingPagesArePipelinedAcrossGroups(version: RedisVersion) throws {
        let h = try Harness(version)
        let names = (0..<20).map { "t:page\($0)" }
        for name in names {
            let ids = try h.conn.addEntries(Array(name.utf8), 1500)
            try h.conn.run("XGROUP", "CREATE", name, group, "0")
            try h.conn.run("XREADGROUP", "GROUP", group, "c", "COUNT", "10", "STREAMS", name, ">")
            try h.conn.run("XDEL", name, ids[700])  // Redis 7+ cannot tell the lag any more
        }
        // One poll only: the next would build on its counts (nothing changed) in 2 round trips.
        let started = Date()
        let exporter = try h.startExporter(["--streams", "fixed:none", "--streams.pattern", "t:page*", "--consumer-group", group,
                                            "--lag.count-limit", "2500"], pollInterval: "1h")
        let json = try exporter.freshJSON(since: started, timeout: 10)
        #expect((try json.object("streams")).count == 21, "every stream in the first poll")
        for name in names {
            let g = try json.object("streams").object(name).object("groups").object(group)
            #expect(g.int("lag") == (try h.conn.undelivered(name, group: group).count), "\(name)")
            #expect(g.bool("lag_exact") == true)
        }
        let m = MetricSamples(try h.exporter!.get("/metrics").text)
        #expect(m.value("event_exporter_poll_redis_round_trips") == 3, "1 + 2 pages, whatever the number of groups")
    }
}
