import RedisProtocol
import Testing
@testable import LagCore

/// Another client changing a stream between the round trips of one poll. Round trip 1 reads
/// each stream whole (XINFO FULL and its last entry); the range reads of round trip 2 start at
/// or before that last entry, so they must find it. When they do not, the stream was deleted,
/// trimmed or created again meanwhile, and is read again, whole, in the same poll: its figures
/// are then all of the later moment, never a mix (a deleted stream's group with lag 0).
@Suite("Collector: changes between round trips")
struct BetweenRoundTripsTests {
    static let now: Int64 = 1_795_939_000_000
    let stream = Name("events:chat")

    func poll(_ redis: FakeRedis, fixed: Bool = true, version: ServerVersion = ServerVersion(7, 0, 15)) throws -> (Snapshot, PollStats) {
        try Collector(settings: Collector.Settings(config: ExporterConfig()))
            .poll(fixed: fixed ? [stream] : [], discovered: fixed ? [] : [stream], via: redis, version: version, wallClock: { 1 })
    }

    /// The busy capture (entries 1...10, the group at 5 with lag 5, 4 pending), before a change.
    func busy(_ version: String = "7.0") throws -> FakeRedis {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:chat")] = try FakeRedis.captured(version, "busy")
        return redis
    }

    @Test("a fixed stream deleted between the round trips: missing in that very poll", arguments: Fixtures.versions)
    func deleted(version: String) throws {
        let redis = try busy(version)
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = nil }
        let (snapshot, stats) = try poll(redis)
        let s = try #require(snapshot.streams.first)
        #expect(s.presence == .missing)
        #expect(s.groups.isEmpty, "no group with a lag made up from an empty range read")
        #expect(stats.skipped["changed_during_poll"] == nil, "read again, and found missing: exact, not skipped")
        #expect(redis.calls.count == 3, "round trip 1, the range read, the stream read again")
    }

    @Test("a discovered stream deleted between the round trips leaves in that poll")
    func deletedDiscovered() throws {
        let redis = try busy()
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = nil }
        let (snapshot, _) = try poll(redis, fixed: false)
        #expect(snapshot.streams.isEmpty)
    }

    @Test("trimmed to 0 between the round trips: length 0, lag 0, the pending entries kept", arguments: Fixtures.versions)
    func trimmedToZero(version: String) throws {
        let redis = try busy(version)
        guard case .stream(let info, _) = redis.keys[b("events:chat")]! else { return }
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = .stream(info: setting("length", to: .integer(0), in: info), ids: []) }
        let (snapshot, _) = try poll(redis)
        let s = try #require(snapshot.streams.first)
        #expect(s.length == 0)
        #expect(s.lastEntryID == nil)
        let g = try #require(s.groups.first)
        #expect(g.lag == 0 && g.lagExact)
        #expect(g.pending == 4)
    }

    @Test("created again between the round trips: the new stream's figures, not the old lag")
    func recreated() throws {
        let redis = try busy()
        guard case .stream(let info, _) = redis.keys[b("events:chat")]! else { return }
        // The new stream: entries 20 and 21, the group at 20 (Redis' lag 1).
        let renewed = changingGroup(0, of: setting("length", to: .integer(2), in: info)) { g in
            setting("lag", to: .integer(1), in: setting("last-delivered-id", to: .string(b(id(20).description)), in: g))
        }
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = .stream(info: renewed, ids: [id(20), id(21)]) }
        let (snapshot, _) = try poll(redis)
        let s = try #require(snapshot.streams.first)
        #expect(s.length == 2)
        #expect(s.lastEntryID == id(21))
        let g = try #require(s.groups.first)
        #expect(g.lastDeliveredID == id(20))
        #expect(g.lag == 1)
        #expect(g.lagSeconds == Double(Self.now - Int64(id(21).ms)) / 1000, "the oldest undelivered entry of the new stream")
    }

    @Test("changed again while read again: skipped and counted, a fixed stream stays, unreadable")
    func changedTwice() throws {
        let redis = try busy()
        guard case .stream(let info, _) = redis.keys[b("events:chat")]! else { return }
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = .stream(info: info, ids: (1...10).map { id($0 + 100) }) }
        redis.beforeRoundTrip[3] = { $0.keys[b("events:chat")] = .stream(info: info, ids: (1...10).map { id($0 + 200) }) }
        let (snapshot, stats) = try poll(redis)
        let s = try #require(snapshot.streams.first)
        #expect(s.presence == .unreadable)
        #expect(s.groups.isEmpty)
        #expect(stats.skipped["changed_during_poll"] == 1)
        #expect(redis.calls.count == 4)
    }

    /// A group destroyed between the round trips: no range read names a group, so nothing in
    /// the poll can see it; the group's figures are those of round trip 1, all of them (exact at
    /// that instant), and the next poll finds it gone.
    @Test("a group destroyed between the round trips keeps round trip 1's figures, whole")
    func groupDestroyed() throws {
        let redis = try busy()
        guard case .stream(let info, let ids) = redis.keys[b("events:chat")]! else { return }
        redis.beforeRoundTrip[1] = { $0.keys[b("events:chat")] = .stream(info: setting("groups", to: .array([]), in: info), ids: ids) }
        let collector = Collector(settings: Collector.Settings(config: ExporterConfig()))
        let (snapshot, stats) = try collector.poll(fixed: [stream], discovered: [], via: redis, version: ServerVersion(7, 0, 15), wallClock: { 1 })
        let g = try #require(snapshot.streams.first?.groups.first)
        #expect(g.exists && g.lag == 5 && g.pending == 4 && g.lastDeliveredID == id(5))
        #expect(g.lagSeconds == Double(Self.now - Int64(id(6).ms)) / 1000)
        #expect(stats.skipped.isEmpty)
        let (next, _) = try collector.poll(fixed: [stream], discovered: [], via: redis, version: ServerVersion(7, 0, 15), wallClock: { 2 })
        #expect(next.streams.first?.groups.first?.exists == false)
    }

    /// Entries added between the round trips (ordinary traffic) are not counted: the lag is the
    /// one of the length round trip 1 read, not a mix of two moments.
    @Test("entries added between the round trips are not counted", arguments: Fixtures.versions)
    func appendedWhileCounting(version: String) throws {
        let redis = FakeRedis(timeMs: Self.now)
        redis.keys[b("events:remote")] = try FakeRedis.captured(version, "null-lag")
        guard case .stream(let info, let ids) = redis.keys[b("events:remote")]! else { return }
        redis.beforeRoundTrip[1] = { $0.keys[b("events:remote")] = .stream(info: info, ids: ids + [id(11), id(12)]) }
        let (snapshot, stats) = try Collector(settings: Collector.Settings(config: ExporterConfig()))
            .poll(fixed: [Name("events:remote")], discovered: [], via: redis, version: nil, wallClock: { 1 })
        let g = try #require(snapshot.streams.first?.groups.first)
        #expect(g.lag == 6, "4, 5, 7, 8, 9, 10: as round trip 1 saw the stream")
        #expect(g.lagExact)
        #expect(stats.roundTrips == 2, "an append is no change to read again for")
    }
}
