/// A name Redis gave us (stream key, group, consumer): the exact bytes for commands and
/// identity, and a display form where bytes that are not UTF-8 became U+FFFD.
public struct Name: Sendable, Hashable, Comparable {
    public let bytes: [UInt8]
    public let display: String

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        display = String(decoding: bytes, as: UTF8.self)
    }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    /// Whether the bytes are valid UTF-8, so that `display` is exactly them.
    var isValidUTF8: Bool { display.utf8.count == bytes.count && display.utf8.elementsEqual(bytes) }

    /// By bytes, as Redis orders keys. (A plain loop: `lexicographicallyPrecedes` went through
    /// generic iterators a byte, and a poll sorts and merges every stream's name.)
    public static func < (a: Name, b: Name) -> Bool {
        let (x, y) = (a.bytes, b.bytes)
        for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
        return x.count < y.count
    }
    public static func == (a: Name, b: Name) -> Bool { a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}

/// The status of a group, a stream or the whole exporter; ordered from best to worst.
public enum Status: Int, Sendable, Comparable, CustomStringConvertible {
    case healthy = 0, degraded = 1, unhealthy = 2

    public var description: String {
        switch self {
        case .healthy: "healthy"
        case .degraded: "degraded"
        case .unhealthy: "unhealthy"
        }
    }

    public static func < (a: Status, b: Status) -> Bool { a.rawValue < b.rawValue }

    /// The seed's table: 0-100 healthy, 100-1000 degraded, above 1000 unhealthy; stalled is unhealthy.
    public static func of(lag: Int, stalled: Bool, thresholds: Thresholds) -> Status {
        if stalled || lag > thresholds.unhealthy { return .unhealthy }
        if lag > thresholds.degraded { return .degraded }
        return .healthy
    }
}

/// One immutable poll result: everything every endpoint shows, computed once.
public struct Snapshot: Sendable {
    /// Local wall clock when the poll's first round trip (the one with `TIME`) was sent, seconds
    /// since the epoch: every figure in the snapshot was read at or after it.
    public var collectedAt: Double
    /// Redis' own clock during the poll (`TIME`), epoch milliseconds.
    public var redisTimeMs: Int64
    /// Every monitored stream, sorted by key bytes.
    public var streams: [StreamState]

    public init(collectedAt: Double, redisTimeMs: Int64, streams: [StreamState]) {
        self.collectedAt = collectedAt
        self.redisTimeMs = redisTimeMs
        self.streams = streams
    }

    /// Sums saturate at `Int.max` rather than trap: the lags come from outside.
    public var totalLag: Int { streams.reduce(0) { $0.addingSaturated($1.lag) } }
    /// The largest lag of any monitored group, nil when no group has a known lag.
    public var maxLag: Int? {
        // By index: `flatMap(\.groups)` copied every group (100,000 at a time) to find one number.
        var largest: Int?
        for s in streams.indices {
            for g in streams[s].groups.indices {
                if let lag = streams[s].groups[g].lag, lag > (largest ?? .min) { largest = lag }
            }
        }
        return largest
    }
}

public struct StreamState: Sendable {
    public enum Presence: Sendable, Equatable {
        case exists
        case missing
        /// The key holds another type: skipped and reported.
        case wrongType
        /// Redis' reply for the key could not be read (a value that makes no sense).
        case unreadable
        /// The exporter's ACL user may not read the key (`NOPERM`).
        case forbidden
    }

    // Stored in this order, the optional figures without their flag byte (`Absent`), so that
    // a stream's state is 112 bytes rather than 144: a snapshot holds one a stream, 100,000 of
    // them twice while a poll builds the next.
    public var name: Name
    public var length: Int = 0
    /// Every group of the stream, monitored or not.
    public var groupCount: Int = 0
    @Absent public var entriesAdded: Int?
    @Absent public var lastEntryAgeSeconds: Double?
    /// The monitored groups, sorted by name.
    public var groups: [GroupState] = []
    public var firstEntryID: StreamID?
    public var lastEntryID: StreamID?
    public var presence: Presence
    /// Redis Cluster: the primary that serves the stream did not answer this poll, and these are
    /// the figures of the last poll that read it (JSON only: no metric series shows them).
    public var stale = false

    public init(name: Name, presence: Presence) {
        self.name = name
        self.presence = presence
    }

    public var exists: Bool { presence == .exists }
    /// Sum of the monitored groups' lags (a group that does not exist adds nothing).
    public var lag: Int { groups.reduce(0) { $0.addingSaturated($1.lag ?? 0) } }
    public var pending: Int { groups.reduce(0) { $0.addingSaturated($1.pending) } }
    public var lagSeconds: Double? { groups.compactMap(\.lagSeconds).max() }
    /// The worst group status; a stream or group that is missing is degraded.
    public var status: Status {
        var worst: Status = exists ? .healthy : .degraded
        for group in groups { worst = max(worst, group.status) }
        return worst
    }
    /// Sorted union of the monitored groups' (reported) consumer names.
    public var consumerNames: [String] {
        // One group (the usual case): its consumers are sorted and distinct already.
        if groups.count == 1 { return groups[0].consumers.map(\.name.display) }
        return Set(groups.flatMap { $0.consumers.map(\.name) }).sorted().map(\.display)
    }
}

public struct GroupState: Sendable {
    // Stored in this order, the optional figures without their flag byte (`Absent`): 144 bytes
    // rather than 216, in an array of its own for every stream (100,000 of them, twice while
    // a poll builds the next snapshot).
    public var name: Name
    /// Undelivered entries; nil only when the group does not exist.
    @Absent public var lag: Int?
    @Absent public var lagSeconds: Double?
    public var pending: Int = 0
    @Absent public var oldestPendingIdleSeconds: Double?
    @Absent public var oldestPendingDeliveries: Int?
    @Absent public var entriesRead: Int?
    /// Over `--lag.window` (`LagWindow`): entries a second produced and consumed, the lag's
    /// trend, the time to drain it; and how often last-delivered-id moved backwards.
    @Absent public var produceRate: Double?
    @Absent public var consumeRate: Double?
    @Absent public var drainSeconds: Double?
    public var rewinds = 0
    /// Consumers, sorted by name, at most `--consumers.max-per-group`.
    public var consumers: [ConsumerState] = []
    /// All consumers of the group, reported or not.
    public var consumerCount: Int = 0
    public var lastDeliveredID: StreamID?
    public var exists: Bool
    /// False when `lag` is a lower bound (the count stopped at `--lag.count-limit`).
    public var lagExact: Bool = true
    public var stalled = false
    public var status: Status = .healthy
    public var trend: LagWindow.Trend?

    public init(name: Name, exists: Bool) {
        self.name = name
        self.exists = exists
        if !exists { status = .degraded }
    }

    public var consumersDropped: Int { consumerCount - consumers.count }
}

public struct ConsumerState: Sendable {
    public var name: Name
    public var pending: Int
    /// Seconds since the last attempted interaction; nil when Redis' seen-time made no sense.
    @Absent public var idleSeconds: Double?
    /// Seconds since the last successful read (Redis >= 7.2), nil elsewhere.
    @Absent public var inactiveSeconds: Double?

    public init(name: Name, pending: Int, idleSeconds: Double?, inactiveSeconds: Double?) {
        self.name = name
        self.pending = pending
        self.idleSeconds = idleSeconds
        self.inactiveSeconds = inactiveSeconds
    }
}

/// Optional figures of the snapshot stored without Swift's flag byte (which, with the padding
/// after it, doubles an optional's 8 bytes to 16): a count that is never negative keeps "none"
/// as `Int.min`, a time or rate that is never NaN keeps it as NaN. Setting `Int.min` or NaN
/// reads back as nil, which is what either would mean.
@propertyWrapper
public struct Absent<Value: AbsentMarked>: Sendable {
    private var raw = Value.absent
    public init() {}
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    public var wrappedValue: Value? {
        get { raw.isAbsent ? nil : raw }
        set { raw = newValue ?? Value.absent }
    }
}

/// A value type with one value that stands for "none" in an `Absent` figure.
public protocol AbsentMarked: Sendable {
    static var absent: Self { get }
    var isAbsent: Bool { get }
}

extension Int: AbsentMarked {
    public static var absent: Int { .min }
    public var isAbsent: Bool { self == .min }
}

extension Double: AbsentMarked {
    public static var absent: Double { .nan }
    public var isAbsent: Bool { isNaN }
}

extension Int {
    /// `self + other`, or `Int.max` / `Int.min` where that would overflow.
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
