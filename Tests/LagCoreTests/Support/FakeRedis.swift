import RedisProtocol
@testable import LagCore

/// A `RedisPipeline` that records every round trip and answers from canned replies: each key's
/// captured `XINFO STREAM ... FULL COUNT 1` reply, and XRANGE/XREVRANGE pages cut from the
/// key's entry IDs exactly as Redis cuts them (checked against captured pages in a test).
final class FakeRedis: RedisPipeline {
    enum Key {
        case stream(info: RedisReply, ids: [StreamID])
        /// A key holding another type: every stream command gets Redis' WRONGTYPE error.
        case other
        /// A stream that moves to another cluster node after round trip 1: its XINFO and last
        /// entry are answered, every XRANGE after them gets `error` (`MOVED …`).
        case movesAway(info: RedisReply, ids: [StreamID], error: String)
        /// A server that serves no key now: every stream command gets `error` (`LOADING …`).
        case unavailable(error: String)
    }

    static let wrongType = RedisReply.error("WRONGTYPE Operation against a key holding the wrong kind of value")
    static let noSuchKey = RedisReply.error("ERR no such key")

    var keys: [[UInt8]: Key] = [:]
    /// The `TIME` reply; change it between polls to move Redis' clock.
    var time: RedisReply
    /// Every round trip, in order: the argv of each command.
    private(set) var calls: [[[[UInt8]]]] = []

    init(timeMs: Int64) {
        time = Self.timeReply(ms: timeMs)
    }

    static func timeReply(ms: Int64) -> RedisReply {
        .array([.string(b(String(ms / 1000))), .string(b(String(ms % 1000 * 1000 + 123)))])
    }

    var commandsOfLastCall: [String] { calls.last.map(Self.text) ?? [] }
    static func text(_ commands: [[[UInt8]]]) -> [String] {
        commands.map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") }
    }

    /// Changes to the data made right before the round trip of that index (0 is the first) is
    /// answered: another client's writes between the round trips of a poll.
    var beforeRoundTrip: [Int: (FakeRedis) -> Void] = [:]

    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        if let change = beforeRoundTrip.removeValue(forKey: calls.count) { change(self) }
        calls.append(commands)
        return commands.map(answer)
    }

    private func answer(_ argv: [[UInt8]]) -> RedisReply {
        let words = argv.map { String(decoding: $0, as: UTF8.self) }
        if words == ["TIME"] { return time }
        guard argv.count >= 2 else { return .error("ERR fake: unexpected \(words)") }
        let key = words[0] == "XINFO" ? argv[2] : argv[1]
        var entry = keys[key]
        if case .movesAway(let info, let ids, let error) = entry {
            if words[0] == "XRANGE" { return .error(error) }
            entry = .stream(info: info, ids: ids)
        }
        switch (words[0], entry) {
        case ("XINFO", .stream(let info, _)) where words.count == 6 && words[1] == "STREAM" && words[3...] == ["FULL", "COUNT", "1"]:
            return info
        case ("XINFO", nil): return Self.noSuchKey
        case ("XREVRANGE", .stream(_, let ids)) where words.count == 6 && words[2...3] == ["+", "-"] && words[4] == "COUNT":
            return Self.entries(ids.reversed().prefix(Int(words[5])!))
        case ("XRANGE", .stream(_, let ids)) where words.count == 6 && words[3] == "+" && words[4] == "COUNT":
            let start = StreamID(words[2])!
            return Self.entries(ids.filter { $0 >= start }.prefix(Int(words[5])!))
        case ("XREVRANGE", nil), ("XRANGE", nil): return .array([])
        case (_, .other): return Self.wrongType
        case (_, .unavailable(let error)): return .error(error)
        default: return .error("ERR fake: unexpected \(words)")
        }
    }

    /// Entries as XRANGE returns them: `[id, [field, value]]`, the field as the captures have it.
    static func entries(_ ids: some Sequence<StreamID>) -> RedisReply {
        let base: UInt64 = 1_764_396_000_000
        return .array(ids.map { id in
            let n = id.ms >= base ? id.ms - base : id.ms
            return .array([.string(b(id.description)), .array([.string(b("n")), .string(b(String(n)))])])
        })
    }
}

extension FakeRedis {
    /// The fake key for a captured scenario of one Redis version, with the IDs the capture made.
    static func captured(_ version: String, _ scenario: String) throws -> Key {
        let ids: [StreamID] = switch scenario {
        case "busy": (1...10).map { id($0) }
        case "null-lag": (1...10).filter { $0 != 6 }.map { id($0) }
        case "tail": (1...5).map { id($0) }
        default: []
        }
        return .stream(info: try Fixtures.reply(version, "xinfo-full-\(scenario)"), ids: ids)
    }
}

/// Replaces the value of `key` in a RESP2 key/value array.
func setting(_ key: String, to value: RedisReply, in reply: RedisReply) -> RedisReply {
    guard case .array(var items) = reply else { return reply }
    for i in stride(from: 0, to: items.count - 1, by: 2) where items[i].text == key { items[i + 1] = value }
    return .array(items)
}

/// Applies `change` to the `index`th group of an XINFO STREAM FULL reply.
func changingGroup(_ index: Int, of reply: RedisReply, _ change: (RedisReply) -> RedisReply) -> RedisReply {
    guard case .array(let items) = reply,
          let g = stride(from: 0, to: items.count - 1, by: 2).first(where: { items[$0].text == "groups" }),
          case .array(var groups) = items[g + 1] else { return reply }
    groups[index] = change(groups[index])
    return setting("groups", to: .array(groups), in: reply)
}
