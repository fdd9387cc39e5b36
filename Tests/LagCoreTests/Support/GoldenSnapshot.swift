@testable import LagCore

/// The fixed inputs of the golden files: a hand-built snapshot with every case a renderer must
/// get right, and fixed exporter figures.
enum GoldenSnapshot {
    /// 2026-11-29T06:00:00.123Z
    static let collectedAt = 1_795_932_000.123
    static let redisTimeMs: Int64 = 1_795_931_999_900

    /// A stream key with a double quote, a backslash and a newline.
    static let oddName = "events:q\"uo\\te\nline2"
    /// A stream key that is not UTF-8.
    static let binaryName: [UInt8] = [0x66, 0xFF, 0x6F]

    static func id(_ text: String) -> StreamID { StreamID(text)! }

    static var snapshot: Snapshot {
        var chat = StreamState(name: Name("events:chat"), presence: .exists)
        chat.length = 1234
        chat.groupCount = 2
        chat.entriesAdded = 5000
        chat.firstEntryID = id("1795931000000-0")
        chat.lastEntryID = id("1795931999700-0")
        chat.lastEntryAgeSeconds = 0.2
        var signalr = GroupState(name: Name("signalr-consumers"), exists: true)
        signalr.lag = 123
        signalr.lagSeconds = 42.1
        signalr.pending = 7
        signalr.oldestPendingIdleSeconds = 3.2
        signalr.oldestPendingDeliveries = 1
        signalr.lastDeliveredID = id("1795931957800-0")
        signalr.entriesRead = 4877
        signalr.status = .degraded
        signalr.consumers = [
            ConsumerState(name: Name("instance-1"), pending: 7, idleSeconds: 0.5, inactiveSeconds: 1.25),
            ConsumerState(name: Name("instance-2"), pending: 0, idleSeconds: 12, inactiveSeconds: nil),
        ]
        signalr.consumerCount = 3  // one dropped by --consumers.max-per-group
        // Over --lag.window: the SPEC's example figures, draining.
        signalr.produceRate = 38.0
        signalr.consumeRate = 40.25
        signalr.trend = .draining
        signalr.drainSeconds = 54.667
        signalr.rewinds = 1
        chat.groups = [GroupState(name: Name("audit"), exists: false), signalr]

        var odd = StreamState(name: Name(oddName), presence: .exists)
        odd.length = 3
        odd.groupCount = 1
        odd.entriesAdded = 3
        odd.firstEntryID = id("1795931990000-0")
        odd.lastEntryID = id("1795931990000-2")
        odd.lastEntryAgeSeconds = 9.9
        var oddGroup = GroupState(name: Name("signalr-consumers"), exists: true)
        oddGroup.lag = 0
        oddGroup.lagSeconds = 0
        oddGroup.lastDeliveredID = id("1795931990000-2")
        oddGroup.entriesRead = 3
        oddGroup.consumers = [ConsumerState(name: Name("pod \"a\"\\b"), pending: 0, idleSeconds: 3, inactiveSeconds: 3)]
        oddGroup.consumerCount = 1
        oddGroup.produceRate = 0
        oddGroup.consumeRate = 0
        oddGroup.trend = .steady
        oddGroup.drainSeconds = 0
        odd.groups = [oddGroup]

        var remote = StreamState(name: Name("events:remote"), presence: .missing)
        remote.groups = []

        var ticket = StreamState(name: Name("events:ticket"), presence: .exists)
        ticket.length = 20000
        ticket.groupCount = 1
        ticket.entriesAdded = nil  // Redis 6.2
        ticket.firstEntryID = id("1795928000000-0")
        ticket.lastEntryID = id("1795931998900-3")
        ticket.lastEntryAgeSeconds = 1
        var slow = GroupState(name: Name("signalr-consumers"), exists: true)
        slow.lag = 10000
        slow.lagExact = false  // the count stopped at --lag.count-limit
        slow.lagSeconds = 3600.5
        slow.pending = 250
        slow.oldestPendingIdleSeconds = 901.25
        slow.oldestPendingDeliveries = 4
        slow.lastDeliveredID = id("1795928399400-0")
        slow.entriesRead = nil
        slow.stalled = true
        slow.status = .unhealthy
        slow.consumers = [ConsumerState(name: Name("worker-a"), pending: 250, idleSeconds: 901.25, inactiveSeconds: nil)]
        slow.consumerCount = 1
        slow.trend = .growing  // Redis 6.2: no rates, so no drain time; the trend from the lags
        ticket.groups = [slow]

        var wrong = StreamState(name: Name("events:wrongtype"), presence: .wrongType)
        wrong.groups = []

        var binary = StreamState(name: Name(binaryName), presence: .exists)
        binary.length = 5
        binary.groupCount = 1
        binary.entriesAdded = 5
        binary.firstEntryID = id("1795931999000-0")
        binary.lastEntryID = id("1795931999004-0")
        binary.lastEntryAgeSeconds = 0.896
        var binaryGroup = GroupState(name: Name([0x67, 0xC3, 0x28]), exists: true)
        binaryGroup.lag = 5
        binaryGroup.lagSeconds = 0.9
        binaryGroup.lastDeliveredID = .zero
        binaryGroup.entriesRead = nil
        binaryGroup.consumers = []
        binaryGroup.consumerCount = 0
        binary.groups = [binaryGroup]

        let streams = [chat, odd, remote, ticket, wrong, binary]
        precondition(streams.map(\.name) == streams.map(\.name).sorted(), "streams must be sorted by key bytes")
        return Snapshot(collectedAt: collectedAt, redisTimeMs: redisTimeMs, streams: streams)
    }

    static var status: ExporterStatus {
        var s = ExporterStatus()
        s.redisUp = true
        s.firstPollDone = true
        s.pollsTotal = 42
        s.pollErrors = ["wrongtype": 42, "missing_group": 41, "timeout": 1]
        for d in [0.25, 0.5, 0.125, 0.0005, 30] { s.pollDurations.observe(d) }
        s.lastSuccessAt = collectedAt
        s.lastRoundTrips = 2
        s.lastCommands = 17
        s.streamsMonitored = 6
        s.streamsDropped = 0
        return s
    }

    static let build = BuildInfo(version: "1.0.0", swiftVersion: "6.3.1", hiredisVersion: "0.14.1", microhttpdVersion: "0.9.75")

    static let process = ProcessStats(cpuSeconds: 16.25, residentBytes: 27_807_744, virtualBytes: 735_993_856,
                                      openFDs: 17, maxFDs: 20000, startTimeSeconds: 1_795_939_189.6)
}
