/// Fuzz bytes read as a stream of choices, for targets that build structured input. When the
/// bytes run out every read answers 0 (or empty), so any input makes a complete structure.
struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isEmpty: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A value in `0..<count` (0 when `count` is 0).
    mutating func index(_ count: Int) -> Int { count > 0 ? Int(byte()) % count : 0 }

    mutating func pick<T>(_ choices: [T]) -> T { choices[index(choices.count)] }

    mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return value
    }

    /// Up to `maximum` raw bytes, the length read first.
    mutating func bytes(upTo maximum: Int) -> [UInt8] {
        let count = min(index(maximum + 1), bytes.count - min(position, bytes.count))
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// The rest of the input.
    mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return position < bytes.count ? Array(bytes[position...]) : []
    }
}

/// Splits on a separator byte, keeping empty pieces.
func pieces(_ data: [UInt8], separator: UInt8) -> [String] {
    data.split(separator: separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}
