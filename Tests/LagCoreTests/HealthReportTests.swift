import Testing
@testable import LagCore

@Suite("HealthReport")
struct HealthReportTests {
    static let collectedAt = 1_795_932_000.0

    static func group(_ name: String, lag: Int, stalled: Bool = false) -> GroupState {
        var g = GroupState(name: Name(name), exists: true)
        g.lag = lag
        g.stalled = stalled
        g.lastDeliveredID = StreamID(ms: 1_795_931_000_000, seq: 7)
        g.status = Status.of(lag: lag, stalled: stalled, thresholds: Thresholds())
        return g
    }

    static func stream(_ name: String, _ groups: [GroupState], presence: StreamState.Presence = .exists) -> StreamState {
        var s = StreamState(name: Name(name), presence: presence)
        s.groups = groups
        return s
    }

    static func report(_ streams: [StreamState]?, redisUp: Bool = true, lastError: String? = nil, age: Double = 1)
        -> HealthReport {
        var status = ExporterStatus()
        status.redisUp = redisUp
        status.lastError = lastError
        let snapshot = streams.map { Snapshot(collectedAt: collectedAt, redisTimeMs: 0, streams: $0) }
        return HealthReport(snapshot: snapshot, status: status, thresholds: Thresholds(), freshness: Freshness(pollInterval: 5),
                            now: collectedAt + age)
    }

    static func verdict(_ r: HealthReport) -> String { "\(r.status) \(r.httpStatus)" }

    @Test("all well: healthy, no reasons, 200")
    func healthy() {
        let r = Self.report([Self.stream("events:chat", [Self.group("signalr-consumers", lag: 100)])])
        #expect(Self.verdict(r) == "healthy 200")
        #expect(r.reasons == [])
        #expect([r.maxLag, r.totalLag] == [100, 100])
        #expect(r.snapshotAgeSeconds == 1)
        #expect(r.collectedAt == Self.collectedAt)
        #expect(r.redisConnected)
    }

    @Test("Redis down: unhealthy, 503, the reason without secrets")
    func redisDown() {
        let r = Self.report([Self.stream("events:chat", [Self.group("signalr-consumers", lag: 0)])],
                            redisUp: false, lastError: "connect: Connection refused")
        #expect(Self.verdict(r) == "unhealthy 503")
        #expect(r.reasons == ["redis is not connected: connect: Connection refused"])
        #expect(r.redisConnected == false)
        let bare = Self.report([], redisUp: false)
        #expect(bare.reasons == ["redis is not connected"])
    }

    @Test("stale snapshot: older than staleAfter is unhealthy, exactly staleAfter is not")
    func stale() {
        let streams = [Self.stream("events:chat", [Self.group("signalr-consumers", lag: 0)])]
        let old = Self.report(streams, age: 20)
        #expect(Self.verdict(old) == "unhealthy 503")
        #expect(old.reasons == ["last successful poll is 20s old, more than 3 poll intervals (15s)"])
        #expect(old.snapshotAgeSeconds == 20)
        let edge = Self.report(streams, age: 15)
        #expect(Self.verdict(edge) == "healthy 200")
        #expect(edge.reasons == [])
    }

    @Test("missing stream: degraded, 200")
    func missingStream() {
        let r = Self.report([Self.stream("events:chat", [Self.group("signalr-consumers", lag: 0)]),
                             Self.stream("events:gone", [], presence: .missing)])
        #expect(Self.verdict(r) == "degraded 200")
        #expect(r.reasons == ["stream events:gone does not exist"])
    }

    @Test("missing group: degraded, 200")
    func missingGroup() {
        let r = Self.report([Self.stream("events:chat", [GroupState(name: Name("billing"), exists: false),
                                                         Self.group("signalr-consumers", lag: 3)])])
        #expect(Self.verdict(r) == "degraded 200")
        #expect(r.reasons == ["events:chat group billing does not exist"])
        #expect(r.maxLag == 3)
    }

    @Test("stalled group: unhealthy, 503, even with a small lag")
    func stalled() {
        let r = Self.report([Self.stream("events:chat", [Self.group("signalr-consumers", lag: 5, stalled: true)])])
        #expect(Self.verdict(r) == "unhealthy 503")
        #expect(r.reasons == ["events:chat group signalr-consumers is stalled: lag 5 and last-delivered-id 1795931000000-7 not moving"])
    }

    @Test("lag thresholds: 101 degraded (200), 1001 unhealthy (503)")
    func thresholds() {
        let degraded = Self.report([Self.stream("events:chat", [Self.group("g", lag: 101)])])
        #expect(Self.verdict(degraded) == "degraded 200")
        #expect(degraded.reasons == ["events:chat group g lag 101 is above the degraded threshold 100"])
        let unhealthy = Self.report([Self.stream("events:chat", [Self.group("g", lag: 1001)])])
        #expect(Self.verdict(unhealthy) == "unhealthy 503")
        #expect(unhealthy.reasons == ["events:chat group g lag 1001 is above the unhealthy threshold 1000"])
    }

    @Test("no snapshot yet: unhealthy, 503")
    func noSnapshot() {
        let r = Self.report(nil)
        #expect(Self.verdict(r) == "unhealthy 503")
        #expect(r.reasons == ["no successful poll yet"])
        #expect(r.maxLag == nil)
        #expect(r.totalLag == nil)
        #expect(r.collectedAt == nil)
        #expect(r.snapshotAgeSeconds == nil)
    }

    @Test("reasons are capped at 20 plus a count")
    func cappedReasons() {
        let streams = (0..<25).map { Self.stream("events:s\($0 + 10)", [], presence: .missing) }
        let r = Self.report(streams)
        #expect(r.reasons.count == 21)
        #expect(r.reasons.first == "stream events:s10 does not exist")
        #expect(r.reasons.last == "and 5 more")
        #expect(Self.verdict(r) == "degraded 200")
    }
}

@Suite("Freshness")
struct FreshnessTests {
    static let snapshot = Snapshot(collectedAt: 1000, redisTimeMs: 0, streams: [])

    @Test("fresh: a snapshot, Redis up, at most 3 poll intervals old", arguments: [
        (true, 1000.0, true), (true, 1015.0, true), (true, 1015.001, false), (false, 1001.0, false),
        (true, 990.0, true),  // a clock step back is no age
    ])
    func rule(redisUp: Bool, now: Double, fresh: Bool) {
        let f = Freshness(pollInterval: 5)
        #expect(f.isFresh(Self.snapshot, redisUp: redisUp, now: now) == fresh)
        #expect(f.isFresh(nil, redisUp: true, now: now) == false)
    }

    /// Polls slower than the interval: three of those cycles, not three intervals, or every
    /// snapshot would be stale the moment it is published.
    @Test("a cycle longer than the interval stretches the limit to 3 cycles", arguments: [
        (0.25, 1.3, 1003.9, true), (0.25, 1.3, 1003.901, false), (5.0, 1.3, 1015.0, true), (5.0, 1.3, 1015.001, false),
    ])
    func slowCycles(interval: Double, cycle: Double, now: Double, fresh: Bool) {
        var config = ExporterConfig()
        config.pollInterval = interval
        #expect(config.freshness(lastCycle: cycle).isFresh(Self.snapshot, redisUp: true, now: now) == fresh)
    }

    @Test("the reason names the age and the limit")
    func reason() {
        #expect(Freshness(pollInterval: 2).tooOldReason(Self.snapshot, now: 1090) == "last successful poll is 1m30s old, more than 3 poll intervals (6s)")
    }
}
