/// The argv of every command a poll sends; binary-safe keys throughout. The fixed words are
/// built once: a poll sends tens of thousands of commands.
enum Commands {
    static let time = [b("TIME")]

    static func xinfoFull(_ key: [UInt8]) -> [[UInt8]] {
        // COUNT 1 bounds the entries and PEL lists returned; COUNT 0 would mean "everything".
        [Word.xinfo, Word.stream, key, Word.full, Word.count, Word.one]
    }

    static func lastEntry(_ key: [UInt8]) -> [[UInt8]] {
        [Word.xrevrange, key, Word.plus, Word.minus, Word.count, Word.one]
    }

    /// Entries from `start` (inclusive) on; `start` is a successor ID, so this works before 6.2.
    static func range(_ key: [UInt8], from start: StreamID, count: Int) -> [[UInt8]] {
        [Word.xrange, key, b(start.description), Word.plus, Word.count, count == 1 ? Word.one : b(String(count))]
    }

    static func scan(cursor: String, pattern: String, count: Int) -> [[UInt8]] {
        [b("SCAN"), b(cursor), b("MATCH"), b(pattern), b("COUNT"), b(String(count)), b("TYPE"), b("stream")]
    }

    private enum Word {
        static let xinfo = b("XINFO")
        static let stream = b("STREAM")
        static let full = b("FULL")
        static let count = b("COUNT")
        static let one = b("1")
        static let xrevrange = b("XREVRANGE")
        static let xrange = b("XRANGE")
        static let plus = b("+")
        static let minus = b("-")
    }

    private static func b(_ s: String) -> [UInt8] { Array(s.utf8) }
}
