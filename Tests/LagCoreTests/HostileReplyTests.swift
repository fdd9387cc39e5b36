import RedisProtocol
import Testing
@testable import LagCore

/// Replies shaped like Redis' but holding values no Redis sends: a broken or hostile server (or
/// anything between it and us) must cost at most one poll or one figure, never the process.
/// Swift traps on arithmetic overflow, so each of these crashed the exporter once.
@Suite("Hostile replies")
struct HostileReplyTests {
    static let now = CollectorTests.now

    func poll(_ redis: FakeRedis, fixed: [String] = ["events:chat"]) throws -> (Snapshot, PollStats) {
        try Collector(settings: CollectorTests.settings())
            .poll(fixed: fixed.map { Name($0) }, discovered: [], via: redis, wallClock: { CollectorTests.wallClock })
    }

    static func busy() throws -> RedisReply {
        guard case .stream(let info, _) = try FakeRedis.captured("7.0", "busy") else { throw ReplyError(.malformed, "fixture") }
        return info
    }

    /// The entries of every fake stream here.
    static let ids = (1...10).map { id($0) }

    func fake(_ info: RedisReply) throws -> FakeRedis {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = .stream(info: info, ids: Self.ids)
        return redis
    }

    static let int64Extremes: [Int64] = [.max, .min, .max - 1, .min + 1, -1]

    /// Found by the soak: Redis answers TIME but not XINFO while it loads its data after a
    /// restart. That poll showed every fixed stream unreadable and connected, with no lag.
    @Test("a Redis that serves no key now fails the poll instead of showing streams unreadable", arguments: [
        "LOADING Redis is loading the dataset in memory",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "CLUSTERDOWN The cluster is down",
    ])
    func unavailableFailsThePoll(message: String) throws {
        let redis = try fake(try Self.busy())
        redis.keys[b("events:ticket")] = .unavailable(error: message)
        #expect(throws: RedisError(.connect, "redis serves no key now: \(message)")) {
            try poll(redis, fixed: ["events:chat", "events:ticket"])
        }
    }

    @Test("TIME that is no clock fails the poll as malformed_reply", arguments: [
        ("9223372036854775807", "999999"), ("-9223372036854775808", "0"),
        ("9223372036854775", "999999999999999999"), ("-9223372036854775", "0"),
        ("1795939000", "-1"), ("1795939000", "1000000"), ("253402300800", "0"), ("12x", "0"),
    ])
    func time(seconds: String, micros: String) throws {
        let redis = try fake(Self.busy())
        redis.time = .array([.string(b(seconds)), .string(b(micros))])
        #expect(throws: ReplyError.self) { try poll(redis) }
        do { _ = try poll(redis) } catch let error as ReplyError { #expect(error.kind == .malformed) }
    }

    @Test("a TIME at the edges of the accepted range still works", arguments: [("0", "0"), ("253402300799", "999999")])
    func timeEdges(seconds: String, micros: String) throws {
        let redis = try fake(Self.busy())
        redis.time = .array([.string(b(seconds)), .string(b(micros))])
        let (snapshot, _) = try poll(redis)
        #expect(snapshot.streams.count == 1)
    }

    @Test("a PEL entry's delivery time or count that makes no sense drops that figure and is counted",
          arguments: int64Extremes)
    func deliveryTime(value: Int64) throws {
        let info = changingGroup(0, of: try Self.busy()) { group in
            let pending = RedisReply.array([.array([.string(b("1764396000002-0")), .string(b("instance-1")), .integer(value), .integer(value)])])
            return setting("pending", to: pending, in: group)
        }
        let (snapshot, stats) = try poll(try fake(info))
        let group = try #require(snapshot.streams.first?.groups.first)
        if value < 0 || value > Self.now + 86_400_000 {
            #expect(group.oldestPendingIdleSeconds == nil)
            #expect(group.oldestPendingDeliveries == nil)
            #expect(stats.skipped["malformed_reply", default: 0] >= 1)
        }
        #expect(group.lag == 5, "the rest of the group is reported")
    }

    @Test("a consumer's seen-time or active-time that makes no sense drops that figure", arguments: int64Extremes)
    func seenTime(value: Int64) throws {
        let info = changingGroup(0, of: try Self.busy()) { group in
            guard case .array(let items) = group,
                  let c = stride(from: 0, to: items.count - 1, by: 2).first(where: { items[$0].text == "consumers" }),
                  case .array(var consumers) = items[c + 1] else { return group }
            consumers[0] = setting("seen-time", to: .integer(value), in: consumers[0])
            consumers[1] = setting("seen-time", to: .integer(value), in: consumers[1])
            consumers[1] = .array((consumers[1].array ?? []) + [.string(b("active-time")), .integer(value)])
            return setting("consumers", to: .array(consumers), in: group)
        }
        let (snapshot, stats) = try poll(try fake(info))
        let consumers = try #require(snapshot.streams.first?.groups.first?.consumers)
        #expect(consumers.count == 2, "the consumers stay, with their pending counts")
        #expect(consumers.allSatisfy { $0.idleSeconds == nil })
        #expect(consumers[1].inactiveSeconds == nil)
        #expect(stats.skipped["malformed_reply", default: 0] >= 2)
    }

    @Test("counts that make no sense: a negative length fails the stream, a huge lag is reported without overflowing sums",
          arguments: int64Extremes)
    func counts(value: Int64) throws {
        // Two monitored groups with the same extreme lag: their sums must not trap.
        let two = try Self.busy()
        let group = changingGroup(0, of: two) { setting("lag", to: .integer(value), in: setting("entries-read", to: .integer(value), in: $0)) }
        guard case .array(let items) = group,
              let g = stride(from: 0, to: items.count - 1, by: 2).first(where: { items[$0].text == "groups" }),
              case .array(let groups) = items[g + 1] else { throw ReplyError(.malformed, "fixture") }
        let second = setting("name", to: .string(b("other")), in: groups[0])
        var info = setting("groups", to: .array([groups[0], second]), in: group)
        info = setting("entries-added", to: .integer(value), in: info)
        let redis = try fake(info)
        let collector = Collector(settings: CollectorTests.settings { $0.groups = nil })
        let (snapshot, stats) = try collector.poll(fixed: [Name("events:chat")], discovered: [], via: redis,
                                                   wallClock: { CollectorTests.wallClock })
        let stream = try #require(snapshot.streams.first)
        #expect(stream.groups.count == 2)
        _ = (stream.lag, stream.pending, snapshot.totalLag, snapshot.maxLag)
        _ = MetricsRenderer.snapshotFamilies(snapshot)
        _ = JSONRenderer.consumerLag(snapshot, redisConnected: true, stale: false)
        if value < 0 {
            #expect(stream.entriesAdded == nil)
            #expect(stream.groups.allSatisfy { $0.entriesRead == nil })
            #expect(stats.skipped["malformed_reply", default: 0] >= 1)
        }
        for length in [Int64.min, -1] {
            let redis = try fake(setting("length", to: .integer(length), in: try Self.busy()))
            let (snapshot, stats) = try poll(redis)
            #expect(snapshot.streams.first?.presence == .unreadable, "a fixed stream stays, unreadable")
            #expect(stats.skipped["malformed_reply"] == 1)
        }
    }

    @Test("sums saturate instead of trapping")
    func saturatingSums() {
        var stream = StreamState(name: Name("s"), presence: .exists)
        for name in ["a", "b"] {
            var group = GroupState(name: Name(name), exists: true)
            group.lag = .max
            group.pending = .max
            stream.groups.append(group)
        }
        #expect(stream.lag == .max)
        #expect(stream.pending == .max)
        let snapshot = Snapshot(collectedAt: 0, redisTimeMs: 0, streams: [stream, stream])
        #expect(snapshot.totalLag == .max)
    }

    @Test("IDs at the edges: the largest ID has no successor, and nothing is read after it")
    func largestID() throws {
        let info = changingGroup(0, of: try Self.busy()) {
            setting("last-delivered-id", to: .string(b("18446744073709551615-18446744073709551615")), in: $0)
        }
        let (snapshot, _) = try poll(try fake(info))
        #expect(snapshot.streams.first?.groups.first?.lag == 0)
    }

    /// A required field of the wrong shape makes the stream unreadable (a fixed stream stays,
    /// flagged); an optional one is left out. Never a crash, never a failed poll.
    @Test("nesting where a value belongs, or a value where nesting belongs", arguments: [
        ("length", true), ("groups", true), ("entries", false), ("last-generated-id", false), ("entries-added", false),
    ])
    func wrongShapes(field: String, required: Bool) throws {
        for value in [RedisReply.array([.array([.integer(1)])]), .string(b("x")), .null, .status("OK")] {
            let (snapshot, _) = try poll(try fake(setting(field, to: value, in: try Self.busy())))
            let stream = try #require(snapshot.streams.first, "\(field) = \(value)")
            if required {
                #expect(stream.presence == .unreadable, "\(field) = \(value)")
            } else {
                #expect(stream.presence == .exists, "\(field) = \(value)")
                #expect(stream.groups.first?.lag == 5, "\(field) = \(value): the group is still reported")
            }
        }
    }

    /// Found by the collector fuzz target (Tests/Fuzz/regressions/collector): XINFO said length
    /// 1 while XREVRANGE, a command later, already saw a newer last entry (a producer wrote in
    /// between), with the group inside the stream and a lag from Redis. Deciding whether to
    /// trust that lag built the range `1...0` and trapped: the exporter crashed.
    @Test("a length that the last entry has already outgrown does not crash the poll", arguments: [0, 1])
    func lengthOutgrown(length: Int64) throws {
        let info = setting("length", to: .integer(length), in: try Self.busy())
        let (snapshot, _) = try poll(try fake(info))
        #expect(snapshot.streams.first?.groups.count == 1)
    }

    /// Found by the collector fuzz target (Tests/Fuzz/regressions/collector): a plain Redis
    /// (not a cluster) answering MOVED for a fixed stream's range read, after round trip 1. The
    /// stream was added back as unreadable and the streams sorted without their groups' work,
    /// which then pointed at the wrong stream: the exporter crashed on an index out of range.
    @Test("a MOVED from a plain Redis for a fixed stream leaves it unreadable and the others' figures in place")
    func movedOnAPlainRedis() throws {
        let info = try Self.busy()
        let ids = Self.ids
        let plain = FakeRedis(timeMs: Self.now)
        let moving = FakeRedis(timeMs: Self.now)
        for key in ["events:a", "events:b", "events:c"] {
            plain.keys[b(key)] = .stream(info: info, ids: ids)
            moving.keys[b(key)] = .stream(info: info, ids: ids)
        }
        moving.keys[b("events:b")] = .movesAway(info: info, ids: ids, error: "MOVED 1234 127.0.0.1:7002")
        let names = ["events:a", "events:b", "events:c"]
        let (expected, _) = try poll(plain, fixed: names)
        let (snapshot, stats) = try poll(moving, fixed: names)
        try #require(snapshot.streams.map(\.name.display) == names)
        #expect(snapshot.streams.map(\.presence) == [.exists, .unreadable, .exists])
        #expect(snapshot.streams[1].groups.isEmpty)
        for i in [0, 2] {
            #expect(snapshot.streams[i].groups.map(\.lag) == expected.streams[i].groups.map(\.lag))
            #expect(snapshot.streams[i].groups.map(\.pending) == expected.streams[i].groups.map(\.pending))
            #expect(snapshot.streams[i].groups.map(\.name) == expected.streams[i].groups.map(\.name))
        }
        #expect(snapshot.streams[0].groups.first?.lag != nil)
        #expect(stats.skipped.values.reduce(0, +) == 1)
    }

    /// Found by the collector fuzz target (Tests/Fuzz/regressions/collector): a length and
    /// entries-added near Int.max with a small lag from Redis. Choosing whether to count the
    /// delivered entries instead summed the page size past Int.max and trapped.
    @Test("a length near Int.max with a small untrusted lag does not overflow the page size",
          arguments: [Int64.max, Int64.max - 1, Int64.max / 2 + 1])
    func hugeLengthSmallLag(length: Int64) throws {
        var info = setting("length", to: .integer(length), in: try Self.busy())
        info = setting("entries-added", to: .integer(length), in: info)
        info = changingGroup(0, of: info) { setting("lag", to: .integer(1), in: $0) }
        let collector = Collector(settings: CollectorTests.settings())
        let (snapshot, _) = try collector.poll(fixed: [Name("events:chat")], discovered: [], via: try fake(info),
                                               version: ServerVersion(7, 0, 15), wallClock: { CollectorTests.wallClock })
        let group = try #require(snapshot.streams.first?.groups.first)
        let delivered = try #require(group.lastDeliveredID)
        #expect(group.lag == Self.ids.filter { $0 > delivered }.count, "counted from the entries there are, not taken from the hostile figures")
    }

    @Test("LagTrust does not trust a lag outside the stream's length", arguments: [
        (1, 1), (1, 0), (0, 0), (5, 1), (Int.max, 1), (Int.min, 1),
    ])
    func lagTrustEdges(redisLag: Int, length: Int) {
        #expect(!LagTrust.trusts(redisLag: redisLag, length: length, entriesAdded: length, version: ServerVersion(8, 2)))
    }
}
