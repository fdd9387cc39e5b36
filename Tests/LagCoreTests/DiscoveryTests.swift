import RedisProtocol
import Testing
@testable import LagCore

/// A `RedisPipeline` that answers `SCAN cursor MATCH pattern COUNT n TYPE stream` from pages.
final class ScanFake: RedisPipeline {
    /// Per pattern, the pages by cursor: (keys, next cursor).
    var pages: [String: [String: ([String], String)]] = [:]
    var errors: [String: RedisReply] = [:]
    private(set) var calls: [[String]] = []

    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        let texts = commands.map { $0.map { String(decoding: $0, as: UTF8.self) } }
        calls.append(texts.map { $0.joined(separator: " ") })
        return texts.map { words in
            let (cursor, pattern) = (words[1], words[3])
            if let error = errors[pattern] { return error }
            guard let (keys, next) = pages[pattern]?[cursor] else { return .error("ERR invalid cursor") }
            return .array([.string(b(next)), .array(keys.map { .string(b($0)) })])
        }
    }
}

@Suite("Discovery")
struct DiscoveryTests {
    static func fake() -> ScanFake {
        let redis = ScanFake()
        // SCAN may return a key more than once; events:a comes back on the second page.
        redis.pages["events:*"] = ["0": (["events:b", "events:a"], "17"), "17": (["events:c", "events:a"], "0")]
        redis.pages["orders:*"] = ["0": (["orders:x"], "0")]
        return redis
    }

    @Test("patterns scanned together, one round trip per page, sorted and deduplicated")
    func scan() throws {
        let redis = Self.fake()
        let result = try Discovery.discover(patterns: ["orders:*", "events:*"], limit: 10, via: redis)
        #expect(result.streams == ["events:a", "events:b", "events:c", "orders:x"].map { Name($0) })
        #expect(result.dropped == 0)
        #expect(result.roundTrips == 2)
        #expect(redis.calls == [
            ["SCAN 0 MATCH events:* COUNT 1000 TYPE stream", "SCAN 0 MATCH orders:* COUNT 1000 TYPE stream"],
            ["SCAN 17 MATCH events:* COUNT 1000 TYPE stream"],
        ])
    }

    /// The duplicate `events:a` is a kept key here, so the count is exact (a duplicate of a
    /// discarded key may count twice: documented on `Discovery.Result.dropped`).
    @Test("the cap keeps the smallest names by key order and counts the rest", arguments: [
        (10, ["events:a", "events:b", "events:c", "orders:x"], 0),
        (4, ["events:a", "events:b", "events:c", "orders:x"], 0),
        (3, ["events:a", "events:b", "events:c"], 1),
        (2, ["events:a", "events:b"], 2),
        (1, ["events:a"], 3),
    ])
    func cap(limit: Int, kept: [String], dropped: Int) throws {
        let result = try Discovery.discover(patterns: ["events:*", "orders:*"], limit: limit, via: Self.fake())
        #expect(result.streams == kept.map { Name($0) })
        #expect(result.dropped == dropped, "4 distinct keys, \(kept.count) kept")
    }

    /// A fixed stream that also matches a pattern is monitored once, as a fixed stream: it must
    /// not take one of the discovered places too.
    @Test("names already monitored as fixed streams neither fill the cap nor count as dropped")
    func fixedNamesAreNotDiscovered() throws {
        let result = try Discovery.discover(patterns: ["events:*", "orders:*"], excluding: [Name("events:a")],
                                            limit: 2, via: Self.fake())
        #expect(result.streams == ["events:b", "events:c"].map { Name($0) })
        #expect(result.dropped == 1, "orders:x; events:a is not a discovered stream")
    }

    @Test("a pattern whose SCAN fails stops; the others go on")
    func failingPattern() throws {
        let redis = Self.fake()
        redis.errors["orders:*"] = .error("ERR syntax error")
        let result = try Discovery.discover(patterns: ["events:*", "orders:*"], limit: 10, via: redis)
        #expect(result.streams == ["events:a", "events:b", "events:c"].map { Name($0) })
        #expect(result.roundTrips == 2)
    }
}
