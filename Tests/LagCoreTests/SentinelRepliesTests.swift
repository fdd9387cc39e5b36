import RedisProtocol
import Testing
@testable import LagCore

/// What the sentinels and ROLE say, read without I/O (replies as Redis 7.0 sends them).
@Suite("Sentinel replies")
struct SentinelRepliesTests {
    private func s(_ text: String) -> RedisReply { .string(Array(text.utf8)) }

    @Test func masterAddress() throws {
        let address = try SentinelReplies.masterAddress(.array([s("127.0.0.1"), s("6380")]))
        #expect(address?.host == "127.0.0.1" && address?.port == 6380)
        #expect(try SentinelReplies.masterAddress(.null) == nil, "a sentinel that does not know the name")
    }

    @Test("nonsense addresses are sentinel errors", arguments: [
        RedisReply.array([.string(Array("h".utf8))]),
        .array([.string(Array("h".utf8)), .string(Array("0".utf8))]),
        .array([.string(Array("h".utf8)), .string(Array("65536".utf8))]),
        .array([.string([]), .string(Array("6379".utf8))]),
        .integer(1),
    ])
    func nonsense(reply: RedisReply) {
        let error = #expect(throws: RedisError.self) { try SentinelReplies.masterAddress(reply) }
        #expect(error?.kind == .sentinel)
    }

    @Test func authErrorsAreAuth() {
        let error = #expect(throws: RedisError.self) { try SentinelReplies.masterAddress(.error("NOAUTH Authentication required.")) }
        #expect(error?.kind == .auth)
    }

    @Test func role() throws {
        #expect(try SentinelReplies.role(.array([s("master"), .integer(0), .array([])])) == "master")
        #expect(try SentinelReplies.role(.array([s("slave"), s("127.0.0.1"), .integer(6379), s("connected"), .integer(1)])) == "slave")
        let denied = #expect(throws: RedisError.self) { try SentinelReplies.role(.error("NOPERM this user has no permissions to run the 'role' command")) }
        #expect(denied?.kind == .sentinel && denied?.message.contains("role") == true)
        #expect(throws: RedisError.self) { try SentinelReplies.role(.array([])) }
    }
}
