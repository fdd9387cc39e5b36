import RedisProtocol
import Testing
@testable import LagCore

@Suite("Cluster map")
struct ClusterMapTests {
    static func s(_ text: String) -> RedisReply { .string(Array(text.utf8)) }

    /// After a failover Redis 8.2 lists the failed primary as a master still, next to the
    /// promoted replica: the map names the one online.
    @Test func aFailedPrimaryIsNotTheOneOnline() throws {
        let failed: RedisReply = .array([
            .array([Self.s("slots"), .array([.integer(0), .integer(16383)]), Self.s("nodes"), .array([
                Self.shardNode(ip: "127.0.0.1", endpoint: "127.0.0.1", port: 7001, role: "master", health: "failed"),
                Self.shardNode(ip: "127.0.0.1", endpoint: "127.0.0.1", port: 7004, role: "master"),
            ])]),
        ])
        let map = try ClusterMap.fromShards(failed, askedHost: "x", tls: false)
        #expect(map.primaries.map(\.port) == [7004])
    }

    static func shardNode(ip: String, endpoint: String, port: Int64, tlsPort: Int64? = nil, role: String,
                          health: String = "online") -> RedisReply {
        var items: [RedisReply] = [s("id"), s("0123"), s("port"), .integer(port)]
        if let tlsPort { items += [s("tls-port"), .integer(tlsPort)] }
        items += [s("ip"), s(ip), s("endpoint"), s(endpoint), s("role"), s(role),
                  s("replication-offset"), .integer(0), s("health"), s(health)]
        return .array(items)
    }

    /// The shape Redis 7.0 and 8.2 answer (`redis-cli CLUSTER SHARDS`, RESP2).
    static let shards: RedisReply = .array([
        .array([s("slots"), .array([.integer(0), .integer(5460)]), s("nodes"), .array([
            shardNode(ip: "127.0.0.1", endpoint: "127.0.0.1", port: 7001, role: "master"),
            shardNode(ip: "127.0.0.1", endpoint: "127.0.0.1", port: 7004, role: "replica"),
        ])]),
        .array([s("slots"), .array([.integer(5461), .integer(10922), .integer(16000), .integer(16383)]), s("nodes"), .array([
            shardNode(ip: "127.0.0.1", endpoint: "127.0.0.1", port: 7005, role: "replica"),
            shardNode(ip: "", endpoint: "?", port: 7002, tlsPort: 8002, role: "master"),
        ])]),
        .array([s("slots"), .array([.integer(10923), .integer(15999)]), s("nodes"), .array([
            shardNode(ip: "10.0.0.3", endpoint: "redis-3.example", port: 7003, role: "master"),
        ])]),
    ])

    @Test func shardsGivePrimariesAndTheirSlots() throws {
        let map = try ClusterMap.fromShards(Self.shards, askedHost: "seed", tls: false)
        #expect(map.primaries.map(\.description) == ["127.0.0.1:7001", "redis-3.example:7003", "seed:7002"])
        #expect(map.primary(forSlot: 0)?.description == "127.0.0.1:7001")
        #expect(map.primary(forSlot: 5460)?.description == "127.0.0.1:7001")
        #expect(map.primary(forSlot: 5461)?.description == "seed:7002", "no endpoint nor ip: the host asked")
        #expect(map.primary(forSlot: 16383)?.description == "seed:7002")
        #expect(map.primary(forSlot: 12000)?.description == "redis-3.example:7003")
        #expect(map.uncoveredSlots == 0)
        let tls = try ClusterMap.fromShards(Self.shards, askedHost: "seed", tls: true)
        #expect(tls.primary(forSlot: 5461)?.port == 8002, "TLS: the node's tls-port")
        #expect(tls.primary(forSlot: 0)?.port == 7001, "no tls-port given: the port")
    }

    @Test func slotsGiveTheSameMap() throws {
        let slots: RedisReply = .array([
            .array([.integer(0), .integer(5460), .array([Self.s("127.0.0.1"), .integer(7001), Self.s("id1")]),
                    .array([Self.s("127.0.0.1"), .integer(7004), Self.s("id4")])]),
            .array([.integer(5461), .integer(16383), .array([Self.s(""), .integer(7002), Self.s("id2")])]),
        ])
        let map = try ClusterMap.fromSlots(slots, askedHost: "127.0.0.9")
        #expect(map.primaries.map(\.description) == ["127.0.0.1:7001", "127.0.0.9:7002"])
        #expect(map.primary(forSlot: 9000)?.description == "127.0.0.9:7002")
        #expect(map.uncoveredSlots == 0)
    }

    @Test func uncoveredSlotsAndMoves() throws {
        var map = ClusterMap(ranges: [(0...99, ClusterNode(host: "a", port: 1))])
        #expect(map.uncoveredSlots == HashSlot.count - 100)
        #expect(map.primary(forSlot: 100) == nil)
        map.assign(slot: 100, to: ClusterNode(host: "b", port: 2))
        #expect(map.primary(forSlot: 100)?.description == "b:2")
        map.assign(slot: 5, to: ClusterNode(host: "b", port: 2))
        #expect(map.primary(forSlot: 5)?.description == "b:2")
        #expect(map.primary(forSlot: 4)?.description == "a:1")
        #expect(map.primary(for: Array("foo".utf8)) == nil, "slot 12182 is served by nobody")
    }

    @Test func malformedRepliesAreErrorsNotCrashes() {
        let bad: [RedisReply] = [
            .integer(1), .array([.integer(3)]),
            .array([.array([.integer(0), .integer(99_999), .array([Self.s("h"), .integer(1)])])]),
            .array([.array([.integer(5), .integer(1), .array([Self.s("h"), .integer(1)])])]),
            .array([.array([.integer(0), .integer(1), .array([Self.s("h"), .integer(70_000)])])]),
        ]
        for reply in bad {
            #expect(throws: ReplyError.self) { try ClusterMap.fromSlots(reply, askedHost: "x") }
            #expect(throws: ReplyError.self) { try ClusterMap.fromShards(reply, askedHost: "x", tls: false) }
        }
        #expect(throws: ReplyError(.commandError, "ERR unknown subcommand 'SHARDS'")) {
            try ClusterMap.fromShards(.error("ERR unknown subcommand 'SHARDS'"), askedHost: "x", tls: false)
        }
    }

    @Test func redirects() {
        #expect(ClusterRedirect("MOVED 3999 127.0.0.1:6381", askedHost: "h")
            == ClusterRedirect(kind: .moved, slot: 3999, node: ClusterNode(host: "127.0.0.1", port: 6381)))
        #expect(ClusterRedirect("ASK 0 :6381", askedHost: "h")?.node == ClusterNode(host: "h", port: 6381))
        #expect(ClusterRedirect("MOVED 1 [::1]:7000", askedHost: "h")?.node == ClusterNode(host: "::1", port: 7000))
        #expect(ClusterRedirect("MOVED 1 [::1]:7000", askedHost: "h")?.node.description == "[::1]:7000")
        for bad in ["MOVED", "MOVED x 1.2.3.4:5", "MOVED 16384 h:1", "MOVED 1 h:0", "MOVED 1 h", "WRONGTYPE a b", "ASK 1 h:99999"] {
            #expect(ClusterRedirect(bad, askedHost: "h") == nil, "\(bad)")
        }
        #expect(ReplyError.from(redisError: "MOVED 3999 127.0.0.1:6381").kind == .redirected)
        #expect(ReplyError.from(redisError: "ASK 3999 127.0.0.1:6381").kind == .redirected)
    }
}

@Suite("Cluster poll merge")
struct ClusterMergeTests {
    /// The parts of a cluster poll, each sorted, merge into one sorted list with every stream once.
    @Test func partsMergeInKeyOrder() {
        let parts = [["a", "d", "e"], ["b", "c"], [], ["f"]].map { $0.map { StreamState(name: Name($0), presence: .exists) } }
        #expect(Collector.mergeSorted(parts).map(\.name.display) == ["a", "b", "c", "d", "e", "f"])
        #expect(Collector.mergeSorted([]).isEmpty)
    }
}
