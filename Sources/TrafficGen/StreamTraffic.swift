/// One stream's share of the traffic: its rate carries, the IDs read but not yet acknowledged
/// (their XACK rides in the next tick's pipeline, as the IDs are only known from this tick's
/// replies), and what happened since the last status line.
struct StreamTraffic {
    struct Counts {
        var added = 0
        var read = 0
        var acked = 0
        var errors = 0
    }

    let name: String
    let key: [UInt8]
    /// Offsets this stream's consume wave so the streams do not rise and fall together.
    let phase: Double
    /// Named in `--stall`: its group stops reading after `--stall-after`.
    let stalls: Bool

    var produce = RateAccumulator()
    var consume = RateAccumulator()
    var ack = RateAccumulator()
    var toAck: [[UInt8]] = []
    /// The `seq` field of the next entry, so a reader can see gaps.
    var sequence = 0
    /// Whose turn it is to get the odd entry when a tick's reads do not split evenly.
    var turn = 0
    var window = Counts()
    var total = Counts()
    var lastError: String?

    init(name: String, phase: Double, stalls: Bool) {
        self.name = name
        self.key = Array(name.utf8)
        self.phase = phase
        self.stalls = stalls
    }

    /// `count` entries split over `consumers` readers, the remainder rotating tick by tick.
    mutating func shares(of count: Int, consumers: Int) -> [Int] {
        let even = count / consumers
        let odd = count % consumers
        let shares = (0..<consumers).map { i in even + ((i - turn + consumers) % consumers < odd ? 1 : 0) }
        turn = (turn + 1) % consumers
        return shares
    }

    mutating func count(_ update: (inout Counts) -> Void) {
        update(&window)
        update(&total)
    }
}
