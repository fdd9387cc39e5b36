/// A Redis stream entry ID, `<ms>-<seq>`, ordered as Redis orders them.
public struct StreamID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    /// Parses `ms-seq` (or a bare `ms`, which Redis reads as `ms-0`).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let ms = UInt64(parts[0]) else { return nil }
        if parts.count == 1 {
            self.init(ms: ms, seq: 0)
        } else {
            guard let seq = UInt64(parts[1]) else { return nil }
            self.init(ms: ms, seq: seq)
        }
    }

    public init?(bytes: [UInt8]) {
        self.init(ascii: bytes, bytes.indices)
    }

    /// Parses `ms-seq` or `ms` from `bytes[range]`: plain digits directly, anything else (a
    /// sign, more than 19 digits, non-ASCII) as the text would be parsed, so both always agree.
    public init?(ascii bytes: [UInt8], _ range: Range<Int>) {
        var ms: UInt64 = 0
        var seq: UInt64 = 0
        var digits = 0
        var inSeq = false
        for i in range {
            let byte = bytes[i]
            let d = byte &- UInt8(ascii: "0")
            if d < 10, digits < 19 {
                if inSeq { seq = seq &* 10 &+ UInt64(d) } else { ms = ms &* 10 &+ UInt64(d) }
                digits += 1
            } else if byte == UInt8(ascii: "-"), !inSeq, digits > 0 {
                inSeq = true
                digits = 0
            } else {
                self.init(String(decoding: bytes[range], as: UTF8.self))
                return
            }
        }
        guard digits > 0 else {
            self.init(String(decoding: bytes[range], as: UTF8.self))
            return
        }
        self.init(ms: ms, seq: seq)
    }

    public var description: String { "\(ms)-\(seq)" }

    /// The smallest ID greater than this one: an inclusive range start that means "after me",
    /// which works on every Redis version (exclusive `(` ranges only exist since 6.2).
    /// Nil for the largest ID, after which nothing can exist.
    public var successor: StreamID? {
        if seq < .max { return StreamID(ms: ms, seq: seq + 1) }
        if ms < .max { return StreamID(ms: ms + 1, seq: 0) }
        return nil
    }

    public static func < (a: StreamID, b: StreamID) -> Bool {
        (a.ms, a.seq) < (b.ms, b.seq)
    }
}
