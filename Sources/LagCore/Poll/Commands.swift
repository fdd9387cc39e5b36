/// The argv of every command a poll sends; binary-safe keys throughout.
enum Commands {
    static func xinfoFull(_ key: [UInt8]) -> [[UInt8]] {
        // COUNT 1 bounds the entries and PEL lists returned; COUNT 0 would mean "everything".
        [b("XINFO"), b("STREAM"), key, b("FULL"), b("COUNT"), b("1")]
    }

    static func lastEntry(_ key: [UInt8]) -> [[UInt8]] {
        [b("XREVRANGE"), key, b("+"), b("-"), b("COUNT"), b("1")]
    }

    /// Entries from `start` (inclusive) on; `start` is a successor ID, so this works before 6.2.
    static func range(_ key: [UInt8], from start: StreamID, count: Int) -> [[UInt8]] {
        [b("XRANGE"), key, b(start.description), b("+"), b("COUNT"), b(String(count))]
    }

    static func scan(cursor: String, pattern: String, count: Int) -> [[UInt8]] {
        [b("SCAN"), b(cursor), b("MATCH"), b(pattern), b("COUNT"), b(String(count)), b("TYPE"), b("stream")]
    }

    private static func b(_ s: String) -> [UInt8] { Array(s.utf8) }
}
