/// The one rule for "the snapshot's figures are current": the last poll succeeded and the
/// snapshot is at most `intervals` poll intervals old. The `/metrics` variant (lag families or
/// only the exporter's own), `stale` in the JSON bodies and the health verdict all ask it.
public struct Freshness: Sendable, Equatable {
    /// How many poll intervals a snapshot may age before it is stale (the SPEC's 3).
    public static let intervals = 3

    public let pollInterval: Double

    public init(pollInterval: Double) {
        self.pollInterval = pollInterval
    }

    /// Seconds after `collected_at` at which a snapshot is stale.
    public var staleAfter: Double { Double(Self.intervals) * pollInterval }

    /// The snapshot's age at `now` (never negative: a clock step back is no age).
    public func age(of snapshot: Snapshot, now: Double) -> Double {
        max(now - snapshot.collectedAt, 0)
    }

    public func isTooOld(_ snapshot: Snapshot, now: Double) -> Bool {
        age(of: snapshot, now: now) > staleAfter
    }

    /// True when the figures may be served as current: a snapshot, Redis up at the last poll,
    /// and not too old.
    public func isFresh(_ snapshot: Snapshot?, redisUp: Bool, now: Double) -> Bool {
        guard let snapshot, redisUp else { return false }
        return !isTooOld(snapshot, now: now)
    }

    /// Why a too-old snapshot is stale, in words (a health reason).
    public func tooOldReason(_ snapshot: Snapshot, now: Double) -> String {
        "last successful poll is \(DurationParser.format(age(of: snapshot, now: now))) old, "
            + "more than \(Self.intervals) poll intervals (\(DurationParser.format(staleAfter)))"
    }
}
