import RedisProtocol
import Testing
@testable import LagCore

/// The collector against `FakeRedis`, which answers with the replies captured from real servers.
@Suite("Collector")
struct CollectorTests {
    /// A Redis clock after every capture, so that every seen/delivery time is in the past.
    static let now: Int64 = 1_795_939_000_000
    static let wallClock = 1_795_932_000.123

    static func settings(_ change: (inout Collector.Settings) -> Void = { _ in }) -> Collector.Settings {
        var s = Collector.Settings(config: ExporterConfig())
        change(&s)
        return s
    }

    static func names(_ texts: String...) -> [Name] { texts.map { Name($0) } }

    static func seconds(since ms: Int64, now: Int64 = now) -> Double { Double(now - ms) / 1000 }

    func poll(_ collector: Collector, _ redis: FakeRedis, fixed: [Name], discovered: [Name] = [],
              version: ServerVersion? = nil) throws -> (Snapshot, PollStats) {
        try collector.poll(fixed: fixed, discovered: discovered, via: redis, version: version, wallClock: { Self.wallClock })
    }

    // MARK: the fake answers as Redis did

    @Test("the fake's range answers equal the captured ones", arguments: Fixtures.versions)
    func fakeMatchesRedis(version: String) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured(version, "busy")
        redis.keys[b("events:remote")] = try FakeRedis.captured(version, "null-lag")
        redis.keys[b("events:empty")] = try FakeRedis.captured(version, "empty")
        redis.keys[b("events:ticket")] = try FakeRedis.captured(version, "tail")
        redis.keys[b("plain:string")] = .other
        let cases: [(String, [String])] = [
            ("xinfo-full-busy", ["XINFO", "STREAM", "events:chat", "FULL", "COUNT", "1"]),
            ("xrevrange-busy", ["XREVRANGE", "events:chat", "+", "-", "COUNT", "1"]),
            ("xrange-busy-first-undelivered", ["XRANGE", "events:chat", "1764396000005-1", "+", "COUNT", "1"]),
            ("xrevrange-null-lag", ["XREVRANGE", "events:remote", "+", "-", "COUNT", "1"]),
            ("xrange-null-lag-page1", ["XRANGE", "events:remote", "1764396000003-1", "+", "COUNT", "4"]),
            ("xrange-null-lag-page2", ["XRANGE", "events:remote", "1764396000008-1", "+", "COUNT", "4"]),
            ("xrevrange-empty", ["XREVRANGE", "events:empty", "+", "-", "COUNT", "1"]),
            ("xrevrange-tail", ["XREVRANGE", "events:ticket", "+", "-", "COUNT", "1"]),
            ("error-wrongtype", ["XINFO", "STREAM", "plain:string", "FULL", "COUNT", "1"]),
            ("error-no-such-key", ["XINFO", "STREAM", "no:such:stream", "FULL", "COUNT", "1"]),
            ("xrevrange-missing", ["XREVRANGE", "no:such:stream", "+", "-", "COUNT", "1"]),
            ("xrevrange-wrongtype", ["XREVRANGE", "plain:string", "+", "-", "COUNT", "1"]),
        ]
        let replies = try redis.pipeline(cases.map { $0.1.map(b) })
        for ((name, _), reply) in zip(cases, replies) {
            #expect(reply == (try Fixtures.reply(version, name)), "\(name)")
        }
    }

    @Test("names that read the same once non-UTF-8 bytes become U+FFFD are reported once")
    func duplicateDisplayNames() throws {
        let redis = FakeRedis(timeMs: Self.now)
        let first = Name([0x66, 0xff, 0x6f]), second = Name([0x66, 0xfe, 0x6f])
        #expect(first.display == second.display)
        redis.keys[first.bytes] = try FakeRedis.captured("7.0", "busy")
        redis.keys[second.bytes] = try FakeRedis.captured("7.0", "busy")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: [first, second])
        #expect(snapshot.streams.map(\.name) == [second], "the smaller key by bytes is kept")
        #expect(stats.skipped["duplicate_name"] == 1)
    }

    @Test("a name of valid UTF-8 that holds U+FFFD itself still collides with a replaced one")
    func replacementCharacterInAValidName() throws {
        let replaced = Name([0x66, 0xff, 0x6f]), literal = Name(Array("f\u{FFFD}o".utf8)), plain = Name("fo")
        #expect(replaced.display == literal.display)
        #expect(!replaced.isValidUTF8 && literal.isValidUTF8 && plain.isValidUTF8)
        var stats = PollStats()
        #expect(Collector.uniqueDisplay([plain, literal], &stats) == [plain, literal])
        #expect(stats.skipped.isEmpty)
        #expect(Collector.uniqueDisplay([literal, replaced, plain], &stats) == [literal, plain])
        #expect(stats.skipped["duplicate_name"] == 1)
    }

    @Test("names order by their bytes, unsigned, a prefix first")
    func nameOrder() {
        let samples: [[UInt8]] = [[], [0x00], [0x61], [0x61, 0x00], [0x61, 0x62], [0x62], [0x7f], [0x80], [0xff], [0xff, 0xff],
                                  Array("events:stream:0001".utf8), Array("events:stream:0010".utf8), Array("events:stream:001".utf8)]
        for x in samples {
            for y in samples {
                #expect((Name(x) < Name(y)) == x.lexicographicallyPrecedes(y), "\(x) < \(y)")
            }
        }
    }

    // MARK: round trips

    @Test("one stream, Redis gives the lag: the whole snapshot in 2 round trips")
    func busyStream() throws {
        let now: Int64 = 1_795_938_995_234  // the 7.0 capture's own TIME
        let redis = FakeRedis(timeMs: now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"),
                                         version: ServerVersion(8, 2, 3))
        #expect(snapshot.views == [StreamView(
            name: "events:chat", length: 10, groupCount: 1, entriesAdded: 10, firstEntryID: id(1), lastEntryID: id(10),
            lastEntryAgeSeconds: 31_542_995.224,
            groups: [GroupView(
                name: "signalr-consumers", lag: 5, lagSeconds: 31_542_995.228, pending: 4,
                oldestPendingIdleSeconds: 0.063, oldestPendingDeliveries: 2, lastDeliveredID: id(5), entriesRead: 5,
                consumers: [ConsumerView("instance-1", pending: 2, idle: 0.063), ConsumerView("instance-2", pending: 2, idle: 0.043)],
                consumerCount: 2)])])
        #expect(snapshot.redisTimeMs == now)
        #expect(snapshot.collectedAt == Self.wallClock)
        var expected = PollStats()
        expected.roundTrips = 2
        expected.commands = 4
        #expect(stats == expected)
        #expect(redis.calls.map(FakeRedis.text) == [
            ["TIME", "XINFO STREAM events:chat FULL COUNT 1", "XREVRANGE events:chat + - COUNT 1"],
            ["XRANGE events:chat 1764396000005-1 + COUNT 1"],
        ])
    }

    /// A snapshot stamped T must hold only figures read at or after T: `collected_at` is taken
    /// when the first round trip (the one with `TIME`) goes out, not when the poll ends.
    @Test("collected_at is the clock when the first round trip is sent")
    func collectedAtIsTheFirstRoundTrip() throws {
        final class Ticking: RedisPipeline {
            let inner: FakeRedis
            var clock = 1000.0
            var sentAt: [Double] = []
            init(_ inner: FakeRedis) { self.inner = inner }
            func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
                sentAt.append(clock)
                clock += 1  // each round trip takes a second
                return try inner.pipeline(commands)
            }
        }
        let fake = FakeRedis(timeMs: Self.now)
        fake.keys[b("events:remote")] = try FakeRedis.captured("7.0", "null-lag")
        let redis = Ticking(fake)
        let (snapshot, stats) = try Collector(settings: Self.settings { $0.countPageSize = 2 })
            .poll(fixed: Self.names("events:remote"), discovered: [], via: redis, wallClock: { redis.clock })
        #expect(stats.roundTrips > 2, "counting pages make the poll last several seconds")
        #expect(snapshot.collectedAt == redis.sentAt[0])
    }

    /// Where Redis' lag may be wrong (LagTrust), the same reply is counted instead: the same
    /// figure here, from a page of up to 1000 IDs in the same second round trip.
    @Test("Redis' lag is counted instead where its version may report it wrong", arguments: [
        (ServerVersion?.none, true), (ServerVersion(7, 0, 15), true), (ServerVersion(7, 2, 4), true),
        (ServerVersion(7, 4, 1), false), (ServerVersion(8, 0, 0), false), (ServerVersion(8, 2, 3), false),
    ])
    func untrustedLagIsCounted(version: ServerVersion?, counted: Bool) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")  // nothing ever deleted
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"),
                                         version: version)
        #expect(snapshot.streams[0].groups[0].lag == 5)
        #expect(snapshot.streams[0].groups[0].lagExact)
        #expect(stats.roundTrips == 2)
        #expect(redis.calls[1] == [[b("XRANGE"), b("events:chat"), b("1764396000005-1"), b("+"), b("COUNT"), b(counted ? "1000" : "1")]])
    }

    /// The busy capture (entries 1...10, nothing ever deleted: entries-added = length) with the
    /// group at `delivered` and Redis claiming `redisLag`, on 7.0 where that claim is not trusted.
    static func farBehind(delivered: UInt64, redisLag: Int, entriesAdded: Int = 10,
                          ids: [StreamID] = (1...10).map { id($0) }) throws -> FakeRedis.Key {
        guard case .stream(let info, _) = try FakeRedis.captured("7.0", "busy") else { throw ReplyError(.malformed, "capture") }
        var changed = changingGroup(0, of: info) { group in
            var g = setting("last-delivered-id", to: .string(b(id(delivered).description)), in: group)
            g = setting("lag", to: .integer(Int64(redisLag)), in: g)
            return setting("entries-read", to: .integer(Int64(10 - redisLag)), in: g)
        }
        changed = setting("entries-added", to: .integer(Int64(entriesAdded)), in: changed)
        return .stream(info: changed, ids: ids)
    }

    /// Where Redis' untrusted lag says most of the stream is undelivered, the delivered entries
    /// are counted from the first one instead; the reply itself shows where last-delivered-id
    /// is, or the count starts over from it in the next round trip. Entries 1...10 throughout.
    @Test("a group far behind: its delivered entries are counted from the first entry", arguments: [
        // delivered, Redis' lag, the entries now, the range reads after round trip 1, lag
        (2, 8, 1...10, ["XRANGE events:chat 1764396000001-0 + COUNT 4"], 8),  // Redis is right
        (3, 8, 1...10, ["XRANGE events:chat 1764396000001-0 + COUNT 4"], 7),  // a little off: still in the page
        (5, 8, 1...10, ["XRANGE events:chat 1764396000001-0 + COUNT 4", "XRANGE events:chat 1764396000005-1 + COUNT 1000"], 5),
        // the first entry trimmed between the round trips: counted the usual way
        (2, 8, 2...10, ["XRANGE events:chat 1764396000001-0 + COUNT 4", "XRANGE events:chat 1764396000002-1 + COUNT 1000"], 8),
    ] as [(UInt64, Int, ClosedRange<UInt64>, [String], Int)])
    func farBehindCountsDelivered(delivered: UInt64, redisLag: Int, now: ClosedRange<UInt64>, reads: [String], lag: Int) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try Self.farBehind(delivered: delivered, redisLag: redisLag, ids: now.map { id($0) })
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"),
                                         version: ServerVersion(7, 0, 15))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect(group.lag == lag)
        #expect(group.lagExact)
        #expect(group.lagSeconds == Self.seconds(since: 1_764_396_000_000 + Int64(delivered) + 1))
        #expect(redis.calls.dropFirst().map(FakeRedis.text) == reads.map { [$0] })
        #expect(stats.roundTrips == 1 + reads.count)
    }

    /// Only where nothing was ever deleted (entries-added = length) and Redis gives a lag.
    @Test("a group far behind on a stream that lost entries, or with a null lag, is counted forward",
          arguments: [(10, 8, true), (12, 8, false), (10, nil, false)] as [(Int, Int?, Bool)])
    func farBehindCountedFromWhichEnd(entriesAdded: Int, redisLag: Int?, fromFirst: Bool) throws {
        let redis = FakeRedis(timeMs: Self.now)
        guard case .stream(let info, let ids) = try Self.farBehind(delivered: 2, redisLag: redisLag ?? 8, entriesAdded: entriesAdded)
        else { return }
        let reply = redisLag == nil ? changingGroup(0, of: info) { setting("lag", to: .null, in: $0) } : info
        redis.keys[b("events:chat")] = .stream(info: reply, ids: ids)
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"),
                                         version: ServerVersion(7, 0, 15))
        #expect(snapshot.streams.first?.groups.first?.lag == 8)
        #expect(stats.roundTrips == 2)
        #expect(redis.calls.last.map(FakeRedis.text) == [fromFirst
            ? "XRANGE events:chat 1764396000001-0 + COUNT 4" : "XRANGE events:chat 1764396000002-1 + COUNT 1000"])
    }

    /// A cluster key that moves between the poll's two round trips (its range read answers
    /// MOVED): the share gives it back, whole, to be read where it is now; the other streams
    /// keep their places and figures, and nothing is counted as skipped.
    @Test("a stream that moves between the round trips is handed back whole")
    func movedBetweenRoundTrips() throws {
        let redis = FakeRedis(timeMs: Self.now)
        guard case .stream(let info, let ids) = try FakeRedis.captured("7.0", "busy") else { return }
        redis.keys[b("events:a")] = .stream(info: info, ids: ids)
        redis.keys[b("events:b")] = .movesAway(info: info, ids: ids, error: "MOVED 1234 127.0.0.1:7002")
        redis.keys[b("events:c")] = .stream(info: info, ids: ids)
        let collector = Collector(settings: Self.settings())
        let part = try collector.collect(Self.names("events:a", "events:b", "events:c"), fixed: [], via: redis,
                                         version: ServerVersion(7, 0, 15))
        #expect(part.streams.map(\.name.display) == ["events:a", "events:c"])
        #expect(part.redirected.map(\.name.display) == ["events:b"])
        #expect(part.redirected.first?.message == "MOVED 1234 127.0.0.1:7002")
        #expect(part.stats.skipped == [:])
        let (snapshot, _) = collector.finish([part], collectedAt: Self.wallClock)
        #expect(snapshot.streams.map { $0.groups[0].lag } == [5, 5], "the others' figures, each in place")
        // Read again on its new node, it joins the same snapshot in key order.
        let elsewhere = FakeRedis(timeMs: Self.now)
        elsewhere.keys[b("events:b")] = .stream(info: info, ids: ids)
        let again = try collector.collect(Self.names("events:b"), fixed: [], via: elsewhere, version: ServerVersion(7, 0, 15))
        let (merged, _) = collector.finish([part, again], collectedAt: Self.wallClock)
        #expect(merged.streams.map(\.name.display) == ["events:a", "events:b", "events:c"])
        #expect(merged.streams.map { $0.groups[0].lag } == [5, 5, 5])
    }

    /// Rewinds across polls: last-delivered-id moving backwards on a group that keeps its
    /// consumers and pending entries is a rewind (`XGROUP SETID`); the same move on a group with
    /// neither is a group deleted and created again: a new window, no rewind.
    @Test("a rewind is counted across polls; a group recreated starts afresh", arguments: [true, false])
    func rewindOrRecreated(keepsConsumers: Bool) throws {
        guard case .stream(let info, let ids) = try FakeRedis.captured("7.0", "busy") else { return }
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = .stream(info: info, ids: ids)
        let collector = Collector(settings: Self.settings())
        _ = try poll(collector, redis, fixed: Self.names("events:chat"), version: ServerVersion(7, 0, 15))
        redis.time = FakeRedis.timeReply(ms: Self.now + 1000)
        var moved = changingGroup(0, of: info) { setting("last-delivered-id", to: .string(b(id(2).description)), in: $0) }
        if !keepsConsumers {
            moved = changingGroup(0, of: moved) { g in setting("consumers", to: .array([]), in: setting("pel-count", to: .integer(0), in: g)) }
        }
        redis.keys[b("events:chat")] = .stream(info: moved, ids: ids)
        let (snapshot, stats) = try poll(collector, redis, fixed: Self.names("events:chat"), version: ServerVersion(7, 0, 15))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect(group.rewinds == (keepsConsumers ? 1 : 0))
        #expect(stats.rewound.count == (keepsConsumers ? 1 : 0))
        #expect(group.trend == nil && group.produceRate == nil, "the window starts over either way")
    }

    @Test("2 round trips whether 1 or 50 streams", arguments: Fixtures.versions, [1, 50])
    func roundTripsDoNotGrow(version: String, count: Int) throws {
        let redis = FakeRedis(timeMs: Self.now)
        let names = (0..<count).map { Name("events:s\($0 < 10 ? "0" : "")\($0)") }
        for name in names { redis.keys[name.bytes] = try FakeRedis.captured(version, "busy") }
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: names)
        #expect(stats.roundTrips == 2)
        #expect(redis.calls.count == 2)
        #expect(stats.commands == 1 + 3 * count)
        #expect(stats.skipped == [:])
        #expect(snapshot.streams.map(\.name) == names)
        let lags = snapshot.streams.flatMap(\.groups).map { [$0.lag, $0.lagExact ? 1 : 0] }
        #expect(lags == Array(repeating: [5, 1], count: count))
        let ages = snapshot.streams.flatMap(\.groups).map(\.lagSeconds)
        #expect(ages == Array(repeating: Self.seconds(since: 1_764_396_000_006), count: count))
    }

    // MARK: missing, wrong type

    @Test("a missing fixed stream stays, with no groups and lag 0")
    func missingFixedStream() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis,
                                         fixed: Self.names("events:gone", "events:chat"))
        #expect(snapshot.views.map(\.name) == ["events:chat", "events:gone"])
        #expect(snapshot.views.last == StreamView(name: "events:gone", presence: .missing))
        #expect(snapshot.streams.last?.lag == 0)
        #expect(snapshot.streams.last?.status == .degraded)
        #expect(stats.skipped == ["missing_stream": 1])
        #expect(stats.roundTrips == 2)
    }

    @Test("a missing discovered stream leaves")
    func missingDiscoveredStream() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis,
                                         fixed: Self.names("events:chat"), discovered: Self.names("events:gone", "events:chat"))
        #expect(snapshot.views.map(\.name) == ["events:chat"])
        #expect(stats.skipped == ["missing_stream": 1])
    }

    @Test("a fixed key of another type is reported as such and counted; a discovered one leaves")
    func wrongType() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        redis.keys[b("plain:string")] = .other
        redis.keys[b("plain:other")] = .other
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis,
                                         fixed: Self.names("plain:string", "events:chat"), discovered: Self.names("plain:other"))
        #expect(snapshot.views.map(\.name) == ["events:chat", "plain:string"])
        #expect(snapshot.views.last == StreamView(name: "plain:string", presence: .wrongType))
        #expect(snapshot.streams.last?.lag == 0)
        #expect(stats.skipped == ["wrongtype": 2])
    }

    @Test("a monitored group missing on a stream: exists false, lag nil, degraded, counted")
    func missingGroup() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        let collector = Collector(settings: Self.settings { $0.groups = [b("signalr-consumers"), b("billing")] })
        let (snapshot, stats) = try poll(collector, redis, fixed: Self.names("events:chat"))
        let groups = try #require(snapshot.views.first).groups
        #expect(groups.map(\.name) == ["billing", "signalr-consumers"])
        #expect(groups.first == GroupView.missing("billing"))
        #expect(groups.last?.lag == 5)
        #expect(snapshot.streams.first?.lag == 5)
        #expect(snapshot.streams.first?.status == .degraded)
        #expect(stats.skipped == ["missing_group": 1])
    }

    // MARK: counting where Redis gives no lag

    @Test("null lag (7.0), counted in pages: exact when the count finishes")
    func nullLagCounted() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:remote")] = try FakeRedis.captured("7.0", "null-lag")
        let collector = Collector(settings: Self.settings { $0.countPageSize = 4 })
        let (snapshot, stats) = try poll(collector, redis, fixed: Self.names("events:remote"))
        #expect(snapshot.views.first?.groups == [GroupView(
            name: "signalr-consumers", lag: 6, lagSeconds: Self.seconds(since: 1_764_396_000_004), pending: 3,
            oldestPendingIdleSeconds: Self.seconds(since: 1_795_938_995_212), oldestPendingDeliveries: 1,
            lastDeliveredID: id(3), entriesRead: 3,
            consumers: [ConsumerView("instance-1", pending: 3, idle: Self.seconds(since: 1_795_938_995_212))],
            consumerCount: 1)])
        #expect(stats.roundTrips == 3)
        #expect(redis.calls.dropFirst().map(FakeRedis.text) == [
            ["XRANGE events:remote 1764396000003-1 + COUNT 4"],
            ["XRANGE events:remote 1764396000008-1 + COUNT 4"],
        ])
    }

    @Test("lag counted where Redis gives none (6.2) or null (7.0, 8.2)", arguments: Fixtures.versions)
    func nullLagEveryVersion(version: String) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:remote")] = try FakeRedis.captured(version, "null-lag")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:remote"))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect(group.lag == 6)
        #expect(group.lagExact)
        #expect(group.lagSeconds == Self.seconds(since: 1_764_396_000_004))
        #expect(stats.roundTrips == 2)
        #expect(redis.calls.last.map(FakeRedis.text) == ["XRANGE events:remote 1764396000003-1 + COUNT 1000"])
    }

    /// Undelivered: 4, 5, 7, 8, 9, 10 (6 was deleted); the count stops at `countLimit`.
    @Test("the count stops at --lag.count-limit: a lower bound, flagged", arguments: [
        (1, 1, false), (4, 4, false), (5, 5, false), (6, 6, true), (7, 6, true), (10_000, 6, true),
    ])
    func countLimit(limit: Int, lag: Int, exact: Bool) throws {
        var config = ExporterConfig()
        config.lagCountLimit = limit
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:remote")] = try FakeRedis.captured("7.0", "null-lag")
        let (snapshot, stats) = try poll(Collector(settings: .init(config: config)), redis, fixed: Self.names("events:remote"))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect([group.lag, group.lagExact ? 1 : 0] == [lag, exact ? 1 : 0])
        #expect(group.lagSeconds == Self.seconds(since: 1_764_396_000_004))
        #expect(stats.roundTrips == 2)
    }

    @Test("counting in small pages stops mid-page at the limit")
    func countLimitAcrossPages() throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:remote")] = try FakeRedis.captured("6.2.5", "null-lag")
        let collector = Collector(settings: Self.settings { $0.countLimit = 5; $0.countPageSize = 2 })
        let (snapshot, stats) = try poll(collector, redis, fixed: Self.names("events:remote"))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect([group.lag, group.lagExact ? 1 : 0] == [5, 0])
        #expect(redis.calls.dropFirst().map(FakeRedis.text) == [
            ["XRANGE events:remote 1764396000003-1 + COUNT 2"],
            ["XRANGE events:remote 1764396000005-1 + COUNT 2"],
            ["XRANGE events:remote 1764396000008-1 + COUNT 1"],
        ])
        #expect(stats.roundTrips == 4)
    }

    // MARK: lag_seconds

    static let clocks: [(Int64, Double?)] = [
        (1_764_396_000_006 + 42_500, 42.5),
        (1_764_396_000_006, 0),
        (1_764_396_000_006 - 61_000, nil),  // the ID is in the future: not a timestamp
        (1_764_396_000_006 + 11 * 365 * 86_400_000, nil),  // older than 10 years: not a timestamp
    ]

    @Test("lag_seconds: the first undelivered ID against Redis' TIME", arguments: clocks)
    func lagSeconds(now: Int64, expected: Double?) throws {
        let redis = FakeRedis(timeMs: now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("7.0", "busy")
        let (snapshot, _) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"))
        #expect(snapshot.streams.first?.groups.first?.lagSeconds == expected)
    }

    @Test("lag_seconds is omitted for IDs that are not timestamps, 0 when lag is 0")
    func customIDs() throws {
        var info = try Fixtures.reply("7.0", "xinfo-full-busy")
        info = setting("last-generated-id", to: .string(b("10-0")), in: info)
        info = setting("entries", to: .array([.array([.string(b("1-0")), .array([.string(b("n")), .string(b("1"))])])]), in: info)
        info = changingGroup(0, of: info) { setting("last-delivered-id", to: .string(b("5-0")), in: $0) }
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("custom")] = .stream(info: info, ids: (1...10).map { StreamID(ms: $0, seq: 0) })
        redis.keys[b("events:ticket")] = try FakeRedis.captured("7.0", "tail")
        let collector = Collector(settings: Self.settings { $0.groups = nil })
        let (snapshot, _) = try poll(collector, redis, fixed: Self.names("custom", "events:ticket"))
        #expect(snapshot.streams.map { $0.groups.map(\.lag) } == [[5], [5, 0]])
        #expect(snapshot.streams.map { $0.groups.map(\.lagSeconds) }
            == [[nil], [Self.seconds(since: 1_764_396_000_001), 0]])
        #expect(snapshot.streams.map(\.lastEntryAgeSeconds) == [nil, Self.seconds(since: 1_764_396_000_005)])
    }

    // MARK: stall

    @Test("stalled: lag > 0 and last-delivered-id unchanged for more than --lag.stall-after")
    func stall() throws {
        let t0 = Self.now
        let redis = FakeRedis(timeMs: t0)
        let busy = try Fixtures.reply("7.0", "xinfo-full-busy")
        redis.keys[b("events:chat")] = .stream(info: busy, ids: (1...10).map { id($0) })
        redis.keys[b("events:ticket")] = try FakeRedis.captured("7.0", "tail")
        let collector = Collector(settings: Self.settings { $0.groups = nil })  // stallAfter 300 s
        func state(at ms: Int64) throws -> [[String]] {
            redis.time = FakeRedis.timeReply(ms: ms)
            let (snapshot, _) = try poll(collector, redis, fixed: Self.names("events:chat", "events:ticket"))
            return snapshot.streams.map { $0.groups.map { "\($0.name.display) \($0.stalled) \($0.status)" } }
        }
        let fine = [["signalr-consumers false healthy"], ["audit false healthy", "signalr-consumers false healthy"]]
        let stalled = [["signalr-consumers true unhealthy"], ["audit true unhealthy", "signalr-consumers false healthy"]]
        #expect(try state(at: t0) == fine)
        #expect(try state(at: t0 + 299_999) == fine)
        #expect(try state(at: t0 + 300_001) == stalled)
        #expect(try state(at: t0 + 360_000) == stalled)
        // The consumer moves on: the clock starts again at the new last-delivered-id.
        let moved = changingGroup(0, of: busy) { group in
            setting("lag", to: .integer(3), in: setting("last-delivered-id", to: .string(b(id(7).description)), in: group))
        }
        redis.keys[b("events:chat")] = .stream(info: moved, ids: (1...10).map { id($0) })
        #expect(try state(at: t0 + 400_000)[0] == ["signalr-consumers false healthy"])
        #expect(try state(at: t0 + 699_000)[0] == ["signalr-consumers false healthy"])
        #expect(try state(at: t0 + 700_001)[0] == ["signalr-consumers true unhealthy"])
    }

    // MARK: consumers and groups

    @Test("consumers capped by --consumers.max-per-group, the count kept", arguments: [
        (100, ["instance-1", "instance-2"]), (2, ["instance-1", "instance-2"]), (1, ["instance-1"]), (0, []),
    ])
    func consumerCap(max: Int, names: [String]) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured("8.2.3", "busy")
        let collector = Collector(settings: Self.settings { $0.maxConsumersPerGroup = max })
        let (snapshot, _) = try poll(collector, redis, fixed: Self.names("events:chat"))
        let group = try #require(snapshot.streams.first?.groups.first)
        let all = [
            ConsumerView("instance-1", pending: 2, idle: Self.seconds(since: 1_795_938_997_188),
                         inactive: Self.seconds(since: 1_795_938_997_188)),
            ConsumerView("instance-2", pending: 2, idle: Self.seconds(since: 1_795_938_997_208),
                         inactive: Self.seconds(since: 1_795_938_997_168)),
        ]
        #expect(group.consumers.map(ConsumerView.init) == all.filter { names.contains($0.name) })
        #expect(group.consumerCount == 2)
        #expect(group.consumersDropped == 2 - names.count)
    }

    @Test("consumers whose names read the same once non-UTF-8 bytes are replaced: the smaller kept, counted")
    func duplicateConsumerNames() throws {
        let redis = FakeRedis(timeMs: Self.now)
        let (first, second): ([UInt8], [UInt8]) = ([0x66, 0xff, 0x6f], [0x66, 0xfe, 0x6f])
        guard case .stream(let info, let ids) = try FakeRedis.captured("8.2.3", "busy") else {
            Issue.record("the captured reply is not a stream")
            return
        }
        // instance-1 becomes f\xffo, instance-2 f\xfeo (its figures: pending 2, seen 1_795_938_997_208).
        let renamed = changingGroup(0, of: info) { group in
            guard case .array(let items) = group,
                  let c = stride(from: 0, to: items.count - 1, by: 2).first(where: { items[$0].text == "consumers" }),
                  case .array(let consumers) = items[c + 1] else { return group }
            let named = zip(consumers, [first, second]).map { setting("name", to: .string($1), in: $0) }
            return setting("consumers", to: .array(named), in: group)
        }
        redis.keys[b("events:chat")] = .stream(info: renamed, ids: ids)
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:chat"))
        let group = try #require(snapshot.streams.first?.groups.first)
        #expect(group.consumers.map(\.name) == [Name(second)], "the smaller name by bytes is kept")
        #expect(group.consumers.first?.idleSeconds == Self.seconds(since: 1_795_938_997_208), "with its own figures")
        #expect(group.consumerCount == 2)
        #expect(stats.skipped["duplicate_name"] == 1)
    }

    @Test("'*' (groups nil) monitors every group", arguments: Fixtures.versions)
    func everyGroup(version: String) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:ticket")] = try FakeRedis.captured(version, "tail")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings { $0.groups = nil }), redis,
                                         fixed: Self.names("events:ticket"))
        let seen: Int64 = ["6.2.5": 1_795_938_993_465, "7.0": 1_795_938_995_233, "8.2.3": 1_795_938_997_250][version]!
        #expect(snapshot.views == [StreamView(
            name: "events:ticket", length: 5, groupCount: 2, entriesAdded: version == "6.2.5" ? nil : 5,
            firstEntryID: id(1), lastEntryID: id(5), lastEntryAgeSeconds: Self.seconds(since: 1_764_396_000_005),
            groups: [
                GroupView(name: "audit", lag: 5, lagSeconds: Self.seconds(since: 1_764_396_000_001), lastDeliveredID: .zero),
                GroupView(name: "signalr-consumers", lag: 0, lagSeconds: 0, lastDeliveredID: id(5),
                          consumers: [ConsumerView("idle-1", pending: 0, idle: Self.seconds(since: seen))], consumerCount: 1),
            ])])
        #expect(stats.skipped == [:])
        #expect(stats.roundTrips == 1)
    }

    /// After XTRIM past a group's position Redis 7 still counts the trimmed entries in `lag`;
    /// what is undelivered is what is left: the stream's length.
    @Test("a group behind the first entry lags by the stream's length, whatever Redis says")
    func behindFirstEntry() throws {
        let tail = try Fixtures.reply("7.0", "xinfo-full-tail")
        let trimmed = changingGroup(0, of: tail) { setting("lag", to: .integer(8), in: $0) }
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:ticket")] = .stream(info: trimmed, ids: (1...5).map { id($0) })
        let (snapshot, stats) = try poll(Collector(settings: Self.settings { $0.groups = [b("audit")] }), redis,
                                         fixed: Self.names("events:ticket"))
        #expect(snapshot.views.first?.groups == [
            GroupView(name: "audit", lag: 5, lagSeconds: Self.seconds(since: 1_764_396_000_001), lastDeliveredID: .zero),
        ])
        #expect(stats.roundTrips == 1)
    }

    @Test("an empty stream with a group: lag 0, no entry IDs", arguments: Fixtures.versions)
    func emptyStream(version: String) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:empty")] = try FakeRedis.captured(version, "empty")
        let (snapshot, stats) = try poll(Collector(settings: Self.settings()), redis, fixed: Self.names("events:empty"))
        #expect(snapshot.views == [StreamView(
            name: "events:empty", length: 0, groupCount: 1, entriesAdded: version == "6.2.5" ? nil : 0,
            groups: [GroupView(name: "signalr-consumers", lag: 0, lagSeconds: 0, lastDeliveredID: .zero)])])
        #expect(stats.roundTrips == 1)
    }

    @Test("fixed and discovered streams: sorted by key bytes, each once")
    func order() throws {
        let redis = FakeRedis(timeMs: Self.now)
        for key in ["events:chat", "events:remote", "events:ticket"] {
            redis.keys[b(key)] = try FakeRedis.captured("7.0", "tail")
        }
        let (snapshot, _) = try poll(Collector(settings: Self.settings()), redis,
                                     fixed: Self.names("events:ticket", "events:chat"),
                                     discovered: Self.names("events:chat", "events:remote"))
        #expect(snapshot.views.map(\.name) == ["events:chat", "events:remote", "events:ticket"])
        #expect(redis.calls.first.map(FakeRedis.text)?.count == 7)
    }
}
