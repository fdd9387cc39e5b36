import LagCore
import RedisProtocol

/// A `RedisPipeline` whose replies have the shapes Redis gives each command the collector
/// sends (TIME, XINFO STREAM FULL, XREVRANGE, XRANGE, SCAN) but whose values come from the fuzz
/// input: extreme integers, IDs at and past the edges, wrong types in places, nulls, errors,
/// more entries than asked for, groups and consumers in numbers. A 0 byte always picks the
/// well-formed, ordinary choice, so an input of zeros is a plain (if empty-valued) Redis.
final class HostileRedis: RedisPipeline {
    var input: FuzzInput
    /// Redis' clock in the well-behaved case (2026-11-30), in ms; most times are near it.
    static let nowMs: Int64 = 1_795_939_000_000

    init(_ input: FuzzInput) { self.input = input }

    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        // A connection-level failure is part of the game too.
        if input.byte() == 0xFF { throw RedisError(.io, "fuzz: connection lost") }
        return commands.map(answer)
    }

    private func answer(_ argv: [[UInt8]]) -> RedisReply {
        // Now and then a reply of the wrong kind altogether.
        switch input.byte() {
        case 0xF0: return .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        case 0xF1: return .null
        case 0xF2: return .error("ERR no such key")
        case 0xF3: return .error("MOVED 1234 127.0.0.1:7001")
        case 0xF4: return .integer(integer())
        default: break
        }
        switch argv.first.map({ String(decoding: $0, as: UTF8.self) }) {
        case "TIME": return time()
        case "XINFO": return streamInfo()
        case "XREVRANGE", "XRANGE": return entries(asked: argv.last.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 1)
        case "SCAN": return scan()
        default: return .error("ERR unknown command")
        }
    }

    // MARK: values

    private static let extremes: [Int64] = [
        0, 1, -1, 2, .max, .min, .max - 1, .min + 1, Int64(Int32.max), Int64(Int32.min), Int64(UInt32.max),
        1 << 53, (1 << 53) + 1, -(1 << 53), nowMs, nowMs + 1, nowMs - 1, nowMs + 86_400_000, nowMs * 1000, 10, 1000, 100_000,
    ]

    /// An integer: small, from the palette of extremes, or any 64-bit value.
    func integer() -> Int64 {
        switch input.byte() % 4 {
        case 0: Int64(input.byte())
        case 1, 2: input.pick(Self.extremes)
        default: Int64(bitPattern: input.uint64())
        }
    }

    /// A count field: usually an integer reply, sometimes its decimal text, null, or junk.
    func countValue() -> RedisReply {
        switch input.byte() % 8 {
        case 4: .string(Array(String(integer()).utf8))
        case 5: .null
        case 6: .string(Array("12x".utf8))
        case 7: .string(Array("99999999999999999999".utf8))
        default: .integer(integer())
        }
    }

    private static let edgeMs: [UInt64] = [0, 1, .max, .max - 1, UInt64(Int64.max), UInt64(Int64.max) + 1,
                                           UInt64(nowMs), UInt64(nowMs) - 5, UInt64(nowMs) + 5, 1_764_396_000_005]

    func idMs() -> UInt64 {
        switch input.byte() % 4 {
        case 0: UInt64(HostileRedis.nowMs) - UInt64(input.byte()) * 1000
        case 1: input.pick(Self.edgeMs)
        case 2: input.uint64()
        default: 1_764_396_000_000 + UInt64(input.byte())
        }
    }

    func idSeq() -> UInt64 {
        switch input.byte() % 4 {
        case 2: .max
        case 3: input.uint64()
        default: UInt64(input.byte() % 4)
        }
    }

    /// A stream ID as text: mostly valid (edges included), sometimes not an ID at all.
    func id() -> RedisReply {
        switch input.byte() % 16 {
        case 10: .string(Array("18446744073709551616-0".utf8))
        case 11: .string(Array("1-".utf8))
        case 12: .string(Array("-1-0".utf8))
        case 13: .null
        case 14: .integer(integer())
        case 15: .string(input.bytes(upTo: 24))
        default: .string(Array("\(idMs())-\(idSeq())".utf8))
        }
    }

    func name() -> RedisReply {
        switch input.byte() % 8 {
        case 5: .string(input.bytes(upTo: 16))
        case 6: .null
        case 7: .integer(integer())
        default: .string(Array("g\(input.byte() % 4)".utf8))
        }
    }

    // MARK: replies

    func time() -> RedisReply {
        switch input.byte() % 4 {
        case 3: .array([.string(Array(String(integer()).utf8)), .string(Array(String(integer()).utf8))])
        case 2: .array([.string(Array("\(Self.nowMs / 1000 + Int64(input.byte()))".utf8)), .string(Array("\(input.byte())".utf8))])
        default: .array([.string(Array("\(Self.nowMs / 1000)".utf8)), .string(Array("123".utf8))])
        }
    }

    /// Key/value pairs in a possibly shuffled order, some left out, some repeated.
    private func pairs(_ fields: [(String, () -> RedisReply)]) -> RedisReply {
        var items: [RedisReply] = []
        for (key, value) in fields {
            switch input.byte() % 16 {
            case 14: continue  // left out
            case 15: items += [.string(Array(key.utf8)), value(), .string(Array(key.utf8)), value()]
            default: items += [.string(Array(key.utf8)), value()]
            }
        }
        if input.byte() % 16 == 15 { items.append(.string(Array("odd".utf8))) }  // not pairs at all
        return .array(items)
    }

    func streamInfo() -> RedisReply {
        pairs([
            ("length", countValue),
            ("radix-tree-keys", countValue),
            ("last-generated-id", id),
            ("max-deleted-entry-id", id),
            ("entries-added", countValue),
            ("recorded-first-entry-id", id),
            ("entries", { self.entries(asked: 1) }),
            ("groups", groups),
        ])
    }

    func groups() -> RedisReply {
        if input.byte() % 16 == 15 { return countValue() }
        return .array((0..<Int(input.byte() % 5)).map { _ in group() })
    }

    func group() -> RedisReply {
        pairs([
            ("name", name),
            ("last-delivered-id", id),
            ("entries-read", countValue),
            ("lag", countValue),
            ("pel-count", countValue),
            ("pending", { .array((0..<Int(self.input.byte() % 3)).map { _ in self.pendingEntry(fields: 4) }) }),
            ("consumers", consumers),
        ])
    }

    func pendingEntry(fields: Int) -> RedisReply {
        var items = [id(), name(), .integer(integer()), countValue()]
        if fields == 3 { items.remove(at: 1) }
        if input.byte() % 8 == 7 { items.removeLast() }
        return .array(items)
    }

    func consumers() -> RedisReply {
        if input.byte() % 16 == 15 { return .null }
        return .array((0..<Int(input.byte() % 4)).map { _ in
            pairs([
                ("name", name),
                ("seen-time", { .integer(self.integer()) }),
                ("active-time", { .integer(self.integer()) }),
                ("pel-count", countValue),
                ("pending", { .array((0..<Int(self.input.byte() % 2)).map { _ in self.pendingEntry(fields: 3) }) }),
            ])
        })
    }

    /// XRANGE/XREVRANGE: `[[id, [field, value]], ...]`, at most what was asked unless hostile.
    func entries(asked: Int) -> RedisReply {
        let count = input.byte() % 8 == 7 ? Int(input.byte()) : min(Int(input.byte()), max(asked, 0))
        return .array((0..<count).map { _ in
            input.byte() % 16 == 15 ? id() : .array([id(), .array([.string(Array("n".utf8)), .string(Array("1".utf8))])])
        })
    }

    /// SCAN: `[cursor, [keys]]`; the cursor ends at "0" once the input runs out.
    func scan() -> RedisReply {
        let cursor = input.isEmpty || input.bool() ? "0" : String(input.byte())
        return .array([.string(Array(cursor.utf8)),
                       .array((0..<Int(input.byte() % 4)).map { _ in .string(Array("s\(input.byte() % 6)".utf8)) })])
    }
}
