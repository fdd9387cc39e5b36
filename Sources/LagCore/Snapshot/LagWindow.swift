/// One group's samples over `--lag.window`, the exporter's own (one a poll), and what they say:
/// produce and consume rates, the lag's trend, the time to drain it, and rewinds (SPEC "Lag
/// semantics"). Bounded: samples older than the window go, and at most `capacity` are kept.
public struct LagWindow: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        /// Redis' clock, epoch ms.
        public var timeMs: Int64
        public var lag: Int?
        /// The stream's entries-added and the group's entries-read (Redis >= 7.0), nil before.
        public var entriesAdded: Int?
        public var entriesRead: Int?
        public var lastDeliveredID: StreamID

        public init(timeMs: Int64, lag: Int?, entriesAdded: Int?, entriesRead: Int?, lastDeliveredID: StreamID) {
            self.timeMs = timeMs
            self.lag = lag
            self.entriesAdded = entriesAdded
            self.entriesRead = entriesRead
            self.lastDeliveredID = lastDeliveredID
        }
    }

    public enum Trend: String, Sendable {
        case growing, draining, steady
    }

    /// What the window says now.
    public struct Figures: Sendable, Equatable {
        public var produceRate: Double?
        public var consumeRate: Double?
        public var trend: Trend?
        public var drainSeconds: Double?
        public var rewinds = 0

        public init(produceRate: Double? = nil, consumeRate: Double? = nil, trend: Trend? = nil,
                    drainSeconds: Double? = nil, rewinds: Int = 0) {
            self.produceRate = produceRate
            self.consumeRate = consumeRate
            self.trend = trend
            self.drainSeconds = drainSeconds
            self.rewinds = rewinds
        }
    }

    public private(set) var samples: [Sample] = []
    public private(set) var rewinds = 0
    let windowMs: Int64
    let capacity: Int

    public init(windowSeconds: Double, capacity: Int = 1024) {
        windowMs = Int64(max(windowSeconds, 0.001) * 1000)
        self.capacity = max(capacity, 3)
    }

    /// Adds this poll's sample; true when it is a rewind (last-delivered-id moved backwards).
    @discardableResult
    public mutating func add(_ sample: Sample) -> Bool {
        var rewound = false
        if let last = samples.last {
            guard sample.timeMs > last.timeMs else { return false }  // Redis' clock did not move: nothing new
            if sample.lastDeliveredID < last.lastDeliveredID {
                rewinds += 1
                rewound = true
                // The counters before the rewind do not measure the same reading any more.
                samples.removeAll()
            }
        }
        samples.append(sample)
        let oldest = sample.timeMs - windowMs
        if let keep = samples.firstIndex(where: { $0.timeMs >= oldest }), keep > 0 {
            samples.removeFirst(min(keep, samples.count - 1))
        }
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        return rewound
    }

    public var figures: Figures {
        var f = Figures(rewinds: rewinds)
        guard let first = samples.first, let last = samples.last else { return f }
        let seconds = Double(last.timeMs - first.timeMs) / 1000
        if samples.count >= 2, seconds > 0 {
            if let a = first.entriesAdded, let b = last.entriesAdded, b >= a { f.produceRate = Double(b - a) / seconds }
            if let a = first.entriesRead, let b = last.entriesRead, b >= a { f.consumeRate = Double(b - a) / seconds }
        }
        let lags = samples.compactMap(\.lag)
        if samples.count >= 3, lags.count == samples.count, let a = lags.first, let b = lags.last {
            let neverFell = zip(lags, lags.dropFirst()).allSatisfy { $0 <= $1 }
            f.trend = neverFell && b > a ? .growing : b < a ? .draining : .steady
        }
        if last.lag == 0 {
            f.drainSeconds = 0
        } else if let lag = last.lag, let consume = f.consumeRate, let produce = f.produceRate, consume - produce > 0 {
            f.drainSeconds = Double(lag) / (consume - produce)
        }
        return f
    }
}
