import Foundation
import RedisClient
import RedisProtocol
import Testing

/// One redis-server of a `RedisCluster` and its cluster node ID, which stays the same when the
/// node changes role (failover) or is restarted on its own `nodes.conf`.
final class ClusterNode: @unchecked Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let server: RedisServer
    let id: String

    init(server: RedisServer, id: String) {
        self.server = server
        self.id = id
    }

    var port: Int { server.port }
    /// nil once the node was stopped or killed.
    var pid: Int32? { server.pid }
    var url: String { server.url }
    var isRunning: Bool { server.isRunning }
    /// redis-server's own log (`--logfile`, level notice): failover and migration steps.
    var log: String { (try? String(contentsOf: server.directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? "" }

    /// A new connection of the repo's client: TCP, or the unix socket of a TLS-only node.
    func connect() throws -> RedisConnection { try server.connect() }

    var description: String { "127.0.0.1:\(port) (\(id.prefix(8)))" }
    var testDescription: String { description }
}

/// Who owns which slots, as one node's `CLUSTER SLOTS` says: node IDs, ranges in slot order,
/// replicas sorted so that two nodes' answers compare equal when they agree.
struct ClusterSlotMap: Equatable, Sendable, CustomStringConvertible {
    struct Range: Equatable, Sendable {
        var slots: ClosedRange<Int>
        var primary: String
        var replicas: [String]
    }

    static let slotCount = 16_384

    var ranges: [Range]

    init(clusterSlots reply: RedisReply) throws {
        guard let items = reply.array else { throw TestFailure("CLUSTER SLOTS: not an array: \(reply)") }
        ranges = try items.map { item in
            let fields = item.array ?? []
            // Each node is [ip, port, id, ...].
            let nodeIDs = fields.dropFirst(2).compactMap { node in node.array.flatMap { $0.count > 2 ? $0[2].text : nil } }
            guard fields.count >= 3, nodeIDs.count == fields.count - 2, let start = fields[0].int, let end = fields[1].int else {
                throw TestFailure("CLUSTER SLOTS: unexpected entry \(item)")
            }
            return Range(slots: Int(start)...Int(end), primary: nodeIDs[0], replicas: nodeIDs.dropFirst().sorted())
        }.sorted { $0.slots.lowerBound < $1.slots.lowerBound }
    }

    /// Every slot 0...16383 has an owner.
    var coversEverySlot: Bool {
        var next = 0
        for range in ranges {
            guard range.slots.lowerBound == next else { return false }
            next = range.slots.upperBound + 1
        }
        return next == Self.slotCount
    }

    func owner(ofSlot slot: Int) -> String? { ranges.first { $0.slots.contains(slot) }?.primary }

    /// The slots `id` owns, in order.
    func slots(ownedBy id: String) -> [Int] { ranges.filter { $0.primary == id }.flatMap { Array($0.slots) } }

    /// Primaries in the order of their first slot.
    var primaries: [String] {
        var seen: [String] = []
        for range in ranges where !seen.contains(range.primary) { seen.append(range.primary) }
        return seen
    }

    var description: String {
        ranges.map { range in
            "\(range.slots.lowerBound)-\(range.slots.upperBound):\(([range.primary] + range.replicas).map { $0.prefix(8) }.joined(separator: "+"))"
        }.joined(separator: " ")
    }
}

/// One line of `CLUSTER NODES`: `<id> <ip:port@cport[,hostname]> <flags> <primary|-> <ping> <pong>
/// <epoch> <link> <slot>...`.
struct ClusterNodesLine: Equatable, Sendable {
    var id: String
    var port: Int
    var flags: Set<String>
    /// The primary's ID for a replica, nil for a primary.
    var primaryID: String?
    /// A `[slot->-id]` or `[slot-<-id]` entry: a slot being migrated or imported.
    var hasOpenSlots: Bool

    var isMyself: Bool { flags.contains("myself") }
    var isPrimary: Bool { flags.contains("master") }
    /// `fail` or `fail?` (pfail): seen as down.
    var isFailing: Bool { flags.contains("fail") || flags.contains("fail?") || flags.contains("noaddr") }

    init?(_ line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count >= 8 else { return nil }
        id = String(fields[0])
        let address = fields[1].split(separator: ",")[0].split(separator: "@")[0]
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        self.port = port
        flags = Set(fields[2].split(separator: ",").map(String.init))
        primaryID = fields[3] == "-" ? nil : String(fields[3])
        hasOpenSlots = fields.dropFirst(8).contains { $0.hasPrefix("[") }
    }

    static func parse(_ reply: RedisReply) -> [ClusterNodesLine] {
        (reply.text ?? "").split(whereSeparator: \.isNewline).compactMap { ClusterNodesLine($0) }
    }
}
