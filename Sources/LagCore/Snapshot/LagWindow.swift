/// One group's samples over `--lag.window`, the exporter's own (one a poll), and what they say:
/// produce and consume rates, the lag's trend, the time to drain it, and rewinds (SPEC "Lag
/// semantics"). Bounded: samples older than the window go, and at most `capacity` are kept.
///
/// Held for every monitored group for the whole window (60 samples at the default 5 s interval
/// and 5 m window, up to `capacity` at shorter intervals), so it is kept small: the oldest sample
/// and the newest whole, the ones between as byte-packed differences from the sample before
/// (`DeltaRing`: 5-9 bytes a sample where a whole sample is 72), and what the trend needs over
/// all of them (whether the lag fell, or was unknown, inside the window) as two sample numbers.
/// Every figure is the one the full list of samples gives (`LagWindowTests` compares the two).
public struct LagWindow: Sendable {
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

    /// A sample as the window keeps it: which optional counts are known in one byte for the
    /// three, rather than a flag byte and 7 of padding for each (56 bytes where a `Sample` is
    /// 72, 80 as an optional; every group holds two). Any value, `Int.min` included, is kept.
    private struct Kept: Sendable {
        var timeMs: Int64 = 0
        var lag = 0, entriesAdded = 0, entriesRead = 0
        var lastDeliveredID = StreamID.zero
        var known: UInt8 = 0

        init() {}

        init(_ s: Sample) {
            timeMs = s.timeMs
            lastDeliveredID = s.lastDeliveredID
            if let v = s.lag { lag = v; known |= 1 }
            if let v = s.entriesAdded { entriesAdded = v; known |= 2 }
            if let v = s.entriesRead { entriesRead = v; known |= 4 }
        }

        var sample: Sample {
            Sample(timeMs: timeMs, lag: known & 1 != 0 ? lag : nil, entriesAdded: known & 2 != 0 ? entriesAdded : nil,
                   entriesRead: known & 4 != 0 ? entriesRead : nil, lastDeliveredID: lastDeliveredID)
        }
    }

    /// The oldest and the newest sample in the window, when `count` > 0 (the oldest one's
    /// last-delivered-id is not read).
    private var oldest = Kept()
    private var newest = Kept()
    private var first: Sample? { count > 0 ? oldest.sample : nil }
    /// The newest sample.
    public var last: Sample? { count > 0 ? newest.sample : nil }
    /// The samples after `first`, each as its difference from the one before.
    private var between = DeltaRing()
    /// Samples in the window, `first` and `last` included.
    public private(set) var count = 0
    /// Sample numbers (counted from the window's start, 0 = `first` when nothing was dropped):
    /// of `first`, of the newest sample whose lag fell below the one before it, and of the newest
    /// sample with no lag (-1 when none).
    private var firstNumber = 0
    private var lastFall = -1
    private var lastUnknown = -1
    public private(set) var rewinds = 0
    let windowMs: Int64
    let capacity: Int

    public init(windowSeconds: Double, capacity: Int = 1024) {
        self.init(windowMs: Int64(max(windowSeconds, 0.001) * 1000), capacity: max(capacity, 3), rewinds: 0)
    }

    private init(windowMs: Int64, capacity: Int, rewinds: Int) {
        self.windowMs = windowMs
        self.capacity = capacity
        self.rewinds = rewinds
    }

    /// Adds this poll's sample; true when it is a rewind (last-delivered-id moved backwards).
    @discardableResult
    public mutating func add(_ sample: Sample) -> Bool {
        var rewound = false
        if let last {
            guard sample.timeMs > last.timeMs else { return false }  // Redis' clock did not move: nothing new
            if sample.lastDeliveredID < last.lastDeliveredID {
                rewound = true
                // The counters before the rewind do not measure the same reading any more: an
                // empty window (its ring's storage kept) that remembers the rewinds.
                let ring = between
                self = LagWindow(windowMs: windowMs, capacity: capacity, rewinds: rewinds + 1)
                between = ring
                between.removeAll()
            }
        }
        let number = firstNumber + count
        if sample.lag == nil { lastUnknown = number }
        if let previous = last {
            if let a = previous.lag, let b = sample.lag, b < a { lastFall = number }
            between.append(sample, after: previous)
        } else {
            oldest = Kept(sample)
        }
        newest = Kept(sample)
        count += 1
        let cutoff = sample.timeMs - windowMs
        while count > 1, let head = first, head.timeMs < cutoff || count > capacity {
            dropFirst(head)
        }
        return rewound
    }

    /// `first` gives way to the sample after it.
    private mutating func dropFirst(_ head: Sample) {
        count -= 1
        firstNumber += 1
        if count == 1 {
            between.removeAll()
            oldest = newest
        } else {
            oldest = Kept(between.removeFirst(after: head))
        }
    }

    public var figures: Figures {
        var f = Figures(rewinds: rewinds)
        guard let first, let last else { return f }
        let seconds = Double(last.timeMs - first.timeMs) / 1000
        if count >= 2, seconds > 0 {
            // In Double: the counters come from Redis and may be anything; `b - a` can overflow Int.
            if let a = first.entriesAdded, let b = last.entriesAdded, b >= a { f.produceRate = (Double(b) - Double(a)) / seconds }
            if let a = first.entriesRead, let b = last.entriesRead, b >= a { f.consumeRate = (Double(b) - Double(a)) / seconds }
        }
        // Every lag in the window known (the newest unknown one is older than `first`), at least 3.
        if count >= 3, lastUnknown < firstNumber, let a = first.lag, let b = last.lag {
            // A fall counts when the sample before it is still in the window.
            let neverFell = lastFall <= firstNumber
            f.trend = neverFell && b > a ? .growing : b < a ? .draining : .steady
        }
        if last.lag == 0 {
            f.drainSeconds = 0
        } else if let lag = last.lag, let consume = f.consumeRate, let produce = f.produceRate, consume - produce > 0 {
            f.drainSeconds = Double(lag) / (consume - produce)
        }
        return f
    }

    /// Every sample in the window, oldest first (for tests; the window itself keeps two whole).
    /// Those between the oldest and the newest carry the oldest's last-delivered-id.
    var samples: [Sample] {
        guard var sample = first, let last else { return [] }
        var out = [sample]
        var ring = between
        while out.count < count - 1 {
            sample = ring.removeFirst(after: sample)
            out.append(sample)
        }
        if count > 1 { out.append(last) }
        return out
    }
}

/// Samples as differences from the sample before, byte-packed: a flag byte (which of lag,
/// entries-added, entries-read are known, and whether the one before knew it), then the time
/// difference and each known value's difference (or value) as ZigZag LEB128 varints. Values
/// come from Redis and may be anything: differences wrap, and the sum of the wraps is exact.
/// A circular buffer, grown by half when full and never moved otherwise: a full window's worth
/// of bytes and at most half as much again.
struct DeltaRing: Sendable {
    private var storage: [UInt8] = []
    /// Where the oldest byte is, and how many are held.
    private var head = 0
    private var used = 0

    private func byte(at offset: Int) -> UInt8 {
        let i = head + offset
        return storage[i < storage.count ? i : i - storage.count]
    }

    mutating func removeAll() {
        head = 0
        used = 0
    }

    private mutating func push(_ byte: UInt8) {
        if used == storage.count {
            var grown = [UInt8](repeating: 0, count: max(16, storage.count + storage.count / 2))
            for offset in 0..<used { grown[offset] = self.byte(at: offset) }
            storage = grown
            head = 0
        }
        let i = head + used
        storage[i < storage.count ? i : i - storage.count] = byte
        used += 1
    }

    private mutating func pop() -> UInt8 {
        let byte = storage[head]
        head += 1
        if head == storage.count { head = 0 }
        used -= 1
        return byte
    }

    mutating func append(_ sample: LagWindow.Sample, after previous: LagWindow.Sample) {
        let flags = Self.flag(0, previous.lag, sample.lag) | Self.flag(1, previous.entriesAdded, sample.entriesAdded)
            | Self.flag(2, previous.entriesRead, sample.entriesRead)
        push(flags)
        put(UInt64(bitPattern: sample.timeMs &- previous.timeMs))
        put(previous.lag, sample.lag)
        put(previous.entriesAdded, sample.entriesAdded)
        put(previous.entriesRead, sample.entriesRead)
    }

    /// Field `i`'s two bits: known now, and known in the sample before (then a difference follows).
    private static func flag(_ i: Int, _ before: Int?, _ now: Int?) -> UInt8 {
        guard now != nil else { return 0 }
        return (before != nil ? 3 : 1) << (2 * i)
    }

    private mutating func put(_ before: Int?, _ now: Int?) {
        guard let now else { return }
        put(zigzag(Int64(now) &- Int64(before ?? 0)))
    }

    /// The sample after `previous`, whose difference is the oldest held; that difference goes.
    mutating func removeFirst(after previous: LagWindow.Sample) -> LagWindow.Sample {
        let flags = pop()
        var sample = previous
        sample.timeMs = previous.timeMs &+ Int64(bitPattern: take())
        func field(_ i: Int, _ before: Int?) -> Int? {
            guard flags & (1 << (2 * i)) != 0 else { return nil }
            let base = flags & (2 << (2 * i)) != 0 ? Int64(before ?? 0) : 0
            return Int(base &+ unzigzag(take()))
        }
        sample.lag = field(0, previous.lag)
        sample.entriesAdded = field(1, previous.entriesAdded)
        sample.entriesRead = field(2, previous.entriesRead)
        return sample
    }

    private mutating func put(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            push(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        push(UInt8(v))
    }

    private mutating func take() -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = pop()
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 || shift >= 63 { return value }
            shift += 7
        }
    }

    private func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    private func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }
}
