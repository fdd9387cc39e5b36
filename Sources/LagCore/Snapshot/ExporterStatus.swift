/// The exporter's own running figures, kept by the poller and copied into every publication.
public struct ExporterStatus: Sendable {
    /// True when the last poll attempt succeeded.
    public var redisUp = false
    /// True once the first poll attempt has finished, successfully or not (readiness).
    public var firstPollDone = false
    public var pollsTotal = 0
    /// Successful polls whose cycle (poll and publish) took longer than `--poll.interval`; the
    /// next poll then started at once.
    public var pollOverruns = 0
    /// The last cycle's poll plus the publish before it: what freshness allows three of when it
    /// exceeds the interval.
    public var lastCycleSeconds = 0.0
    /// Cumulative failed polls and skipped items, by reason. Every known reason starts at 0 so
    /// that `rate()` and `increase()` see the first error.
    public var pollErrors: [String: Int] = Dictionary(uniqueKeysWithValues: Self.knownReasons.map { ($0, 0) })

    /// Connection-level failures (a failed poll) and per-item skips (the poll goes on).
    public static let knownReasons = [
        "connect", "auth", "io", "timeout", "protocol", "tls", "sentinel", "noperm",
        "missing_stream", "wrongtype", "missing_group", "malformed_reply", "command_error", "duplicate_name",
    ]
    public var pollDurations = Histogram(bounds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    public var lastSuccessAt: Double?
    public var lastRoundTrips = 0
    public var lastCommands = 0
    public var streamsMonitored = 0
    public var streamsDropped = 0
    /// A short, secret-free reason for the last failure (shown in health reasons and logs).
    public var lastError: String?
    /// Redis Cluster: each primary (`host:port`) of the last poll; empty otherwise.
    public var nodes: [String: NodeStatus] = [:]

    public init() {}
}

/// One Redis Cluster primary as the last poll saw it.
public struct NodeStatus: Sendable, Equatable {
    public var up: Bool
    /// The node's share of the last poll (its round trips), seconds.
    public var pollSeconds: Double
    /// Failed polls of this node, cumulative.
    public var errors: Int
    /// Why it is down, in words (secret-free), when it is.
    public var lastError: String?
    /// Streams of this node shown stale (from an earlier poll) while it is down.
    public var staleStreams: Int

    public init(up: Bool, pollSeconds: Double = 0, errors: Int = 0, lastError: String? = nil, staleStreams: Int = 0) {
        self.up = up
        self.pollSeconds = pollSeconds
        self.errors = errors
        self.lastError = lastError
        self.staleStreams = staleStreams
    }
}

/// A cumulative Prometheus histogram.
public struct Histogram: Sendable, Equatable {
    public let bounds: [Double]
    /// Non-cumulative counts per bucket; the last one is +Inf.
    public private(set) var counts: [Int]
    public private(set) var sum = 0.0
    public private(set) var count = 0

    public init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 } ?? bounds.count
        counts[index] += 1
        sum += value
        count += 1
    }

    /// (upper bound, cumulative count) pairs, ending with +Inf.
    public var cumulative: [(Double, Int)] {
        var running = 0
        return counts.enumerated().map { i, c in
            running += c
            return (i < bounds.count ? bounds[i] : .infinity, running)
        }
    }
}
