import Testing
@testable import LagCore

/// The glob of `--streams.exclude`, Redis' own (util.c `stringmatchlen`): cases checked against
/// `redis-cli KEYS` on Redis 7.0 (the end-to-end exclude test also compares with SCAN MATCH).
@Suite("Redis glob")
struct RedisGlobTests {
    @Test(arguments: [
        ("events:*", "events:chat", true), ("events:*", "events:", true), ("events:*", "event", false),
        ("*", "", true), ("", "", true), ("", "a", false),
        ("events:?", "events:a", true), ("events:?", "events:ab", false),
        ("*:test", "events:test", true), ("*:test", "events:tests", false),
        ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("**x", "abcx", true),
        ("h[ae]llo", "hello", true), ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true), ("h[^e]llo", "hello", false),
        ("h[a-c]llo", "hbllo", true), ("h[a-c]llo", "hdllo", false), ("h[c-a]llo", "hbllo", true),
        ("h\\*llo", "h*llo", true), ("h\\*llo", "hello", false), ("h[\\]]llo", "h]llo", true),
        ("events:tmp:*", "events:tmp:1", true), ("events:tmp:*", "events:chat", false),
    ])
    func matchesAsRedisDoes(pattern: String, key: String, matches: Bool) {
        #expect(RedisGlob.matches(Array(pattern.utf8), Array(key.utf8)) == matches, "\(pattern) ~ \(key)")
    }

    @Test func bytesNotCharacters() {
        #expect(RedisGlob.matches(Array("k?".utf8), [UInt8(ascii: "k"), 0xFF]))
        #expect(!RedisGlob.matches(Array("k?".utf8), Array("ké".utf8)), "é is two bytes")
    }
}
