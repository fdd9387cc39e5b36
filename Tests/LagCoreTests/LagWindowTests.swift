import Testing
@testable import LagCore

/// The evaluation rules of rates, trend, drain time and rewinds, as tables of sample sequences
/// (one sample a second unless said otherwise).
@Suite("Lag window")
struct LagWindowTests {
    /// (lag, entries-added, entries-read, last-delivered-id ms) a second apart from t = 1000 s.
    static func window(_ rows: [(Int?, Int?, Int?, UInt64)], windowSeconds: Double = 300) -> LagWindow {
        var w = LagWindow(windowSeconds: windowSeconds)
        for (i, r) in rows.enumerated() {
            w.add(.init(timeMs: 1_000_000 + Int64(i) * 1000, lag: r.0, entriesAdded: r.1, entriesRead: r.2,
                        lastDeliveredID: StreamID(ms: r.3, seq: 0)))
        }
        return w
    }

    @Test("rising lag: growing; rates from the counters' deltas; no drain time")
    func rising() {
        let f = Self.window([(10, 100, 90, 90), (12, 104, 92, 92), (12, 106, 94, 94), (15, 110, 95, 95)]).figures
        #expect(f.trend == .growing)
        #expect(f.produceRate == 10.0 / 3)
        #expect(f.consumeRate == 5.0 / 3)
        #expect(f.drainSeconds == nil, "consuming slower than producing never drains")
        #expect(f.rewinds == 0)
    }

    @Test("falling lag: draining, and the time to drain at the net rate")
    func falling() {
        let f = Self.window([(40, 100, 60, 60), (30, 102, 72, 72), (20, 104, 84, 84)]).figures
        #expect(f.trend == .draining)
        #expect(f.produceRate == 2)
        #expect(f.consumeRate == 12)
        #expect(f.drainSeconds == 2, "20 left at 12 - 2 = 10 a second")
    }

    @Test("flat lag, and zero lag on an idle stream: steady, never growing; drain time 0 at lag 0")
    func flatAndIdle() {
        let flat = Self.window([(7, 100, 93, 93), (7, 100, 93, 93), (7, 100, 93, 93)]).figures
        #expect(flat.trend == .steady)
        #expect(flat.produceRate == 0)
        #expect(flat.drainSeconds == nil)
        let idle = Self.window([(0, 50, 50, 50), (0, 50, 50, 50), (0, 50, 50, 50), (0, 50, 50, 50)]).figures
        #expect(idle.trend == .steady)
        #expect(idle.drainSeconds == 0)
        // Up and down again: not growing (it fell once), not draining (it ended where it began).
        #expect(Self.window([(5, 1, 1, 1), (9, 1, 1, 1), (5, 1, 1, 1)]).figures.trend == .steady)
        // Up, then held: it never fell and ended higher: growing (Burrow's WARN).
        #expect(Self.window([(5, 1, 1, 1), (9, 1, 1, 1), (9, 1, 1, 1)]).figures.trend == .growing)
    }

    @Test("fewer than 3 polls: no trend; one poll: no rate; Redis 6.2 (no counters): no rates, never 0")
    func notYet() {
        #expect(Self.window([(5, 10, 5, 5), (6, 11, 5, 5)]).figures.trend == nil)
        let one = Self.window([(5, 10, 5, 5)]).figures
        #expect(one.produceRate == nil && one.consumeRate == nil && one.trend == nil && one.drainSeconds == nil)
        let old = Self.window([(5, nil, nil, 5), (6, nil, nil, 5), (4, nil, nil, 7)]).figures
        #expect(old.produceRate == nil && old.consumeRate == nil)
        #expect(old.trend == .draining)
        #expect(old.drainSeconds == nil)
        #expect(Self.window([(nil, 1, 1, 1), (3, 1, 1, 1), (3, 1, 1, 1)]).figures.trend == nil, "an unknown lag: no trend")
    }

    @Test("a rewind (last-delivered-id moved backwards) is counted, and the window starts over")
    func rewind() {
        var w = Self.window([(2, 100, 98, 98), (2, 101, 99, 99), (2, 102, 100, 100)])
        #expect(w.figures.trend == .steady)
        let rewound = w.add(.init(timeMs: 1_003_000, lag: 52, entriesAdded: 102, entriesRead: 50, lastDeliveredID: StreamID(ms: 50, seq: 0)))
        #expect(rewound)
        let f = w.figures
        #expect(f.rewinds == 1)
        #expect(f.trend == nil && f.produceRate == nil, "the counters before the rewind are not compared with those after")
        let again = w.add(.init(timeMs: 1_004_000, lag: 50, entriesAdded: 102, entriesRead: 52, lastDeliveredID: StreamID(ms: 52, seq: 0)))
        #expect(!again)
        #expect(w.figures.rewinds == 1)
        #expect(w.figures.consumeRate == 2)
    }

    @Test("the window and the ring are bounded; samples older than the window go")
    func bounded() {
        let rows = (0..<20).map { i in (i, 100 + i, 100, UInt64(100)) }
        let w = Self.window(rows, windowSeconds: 5)
        #expect(w.count == 6 && w.samples.count == 6, "t-5 s to t")
        #expect(w.figures.produceRate == 1)
        var small = LagWindow(windowSeconds: 3600, capacity: 4)
        for i in 0..<10 { small.add(.init(timeMs: Int64(i) * 1000, lag: i, entriesAdded: nil, entriesRead: nil, lastDeliveredID: .zero)) }
        #expect(small.count == 4 && small.samples.map(\.lag) == [6, 7, 8, 9])
        // The same Redis clock twice (two polls within a millisecond): one sample.
        var same = LagWindow(windowSeconds: 60)
        same.add(.init(timeMs: 5, lag: 1, entriesAdded: 1, entriesRead: 0, lastDeliveredID: .zero))
        same.add(.init(timeMs: 5, lag: 2, entriesAdded: 2, entriesRead: 0, lastDeliveredID: .zero))
        #expect(same.count == 1 && same.last?.lag == 1)
    }

    @Test("counters at Int's limits: a rate, not a trap")
    func extremeCounters() {
        let f = Self.window([(0, .min, .min, 1), (0, .max, .max, 1)]).figures
        #expect(f.produceRate == Double(Int.max) - Double(Int.min))
        #expect(f.consumeRate == f.produceRate)
    }

    @Test("the packed window gives every figure the full list of samples gives, over 200,000 random polls")
    func packedEqualsTheFullList() {
        var random = SplitMix64(seed: 0x5EED)
        // Values near zero, near the limits (differences that wrap), and unknown.
        func value() -> Int? {
            switch random.next() % 16 {
            case 0: nil
            case 1: .max - Int(random.next() % 3)
            case 2: .min + Int(random.next() % 3)
            case 3: Int(bitPattern: UInt(random.next()))
            default: Int(random.next() % 200)
            }
        }
        for run in 0..<2_000 {
            let windowSeconds = [0.5, 3, 10, 300][run % 4]
            let capacity = [3, 4, 7, 1024][(run / 4) % 4]
            var packed = LagWindow(windowSeconds: windowSeconds, capacity: capacity)
            var full = FullLagWindow(windowSeconds: windowSeconds, capacity: capacity)
            var timeMs = Int64(random.next() % 1_000_000)
            var id: UInt64 = 1_000
            for _ in 0..<100 {
                timeMs += Int64(random.next() % 2_500)  // 0: the same Redis clock again
                id = random.next() % 20 == 0 ? id - min(id, random.next() % 50) : id + random.next() % 5
                let sample = LagWindow.Sample(timeMs: timeMs, lag: value(), entriesAdded: value(), entriesRead: value(),
                                              lastDeliveredID: StreamID(ms: id, seq: 0))
                #expect(packed.add(sample) == full.add(sample))
                #expect(packed.figures == full.figures, "run \(run)")
                #expect(packed.count == full.samples.count)
                #expect(packed.last == full.samples.last)
                let kept = packed.samples
                #expect(kept.map(\.timeMs) == full.samples.map(\.timeMs))
                #expect(kept.map(\.lag) == full.samples.map(\.lag))
                #expect(kept.map(\.entriesAdded) == full.samples.map(\.entriesAdded))
                #expect(kept.map(\.entriesRead) == full.samples.map(\.entriesRead))
            }
        }
    }
}

/// The window as it was first written: every sample kept whole, every figure worked out from the
/// list (with the rates' subtraction in Double, as `LagWindow` now does). The reference the packed
/// `LagWindow` must agree with.
private struct FullLagWindow {
    private(set) var samples: [LagWindow.Sample] = []
    private(set) var rewinds = 0
    let windowMs: Int64
    let capacity: Int

    init(windowSeconds: Double, capacity: Int) {
        windowMs = Int64(max(windowSeconds, 0.001) * 1000)
        self.capacity = max(capacity, 3)
    }

    mutating func add(_ sample: LagWindow.Sample) -> Bool {
        var rewound = false
        if let last = samples.last {
            guard sample.timeMs > last.timeMs else { return false }
            if sample.lastDeliveredID < last.lastDeliveredID {
                rewinds += 1
                rewound = true
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

    var figures: LagWindow.Figures {
        var f = LagWindow.Figures(rewinds: rewinds)
        guard let first = samples.first, let last = samples.last else { return f }
        let seconds = Double(last.timeMs - first.timeMs) / 1000
        if samples.count >= 2, seconds > 0 {
            if let a = first.entriesAdded, let b = last.entriesAdded, b >= a { f.produceRate = (Double(b) - Double(a)) / seconds }
            if let a = first.entriesRead, let b = last.entriesRead, b >= a { f.consumeRate = (Double(b) - Double(a)) / seconds }
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

/// A seeded generator: the same sequences every run.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
