public import RedisProtocol

/// A Redis Cluster primary, as the exporter reaches it.
public struct ClusterNode: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, the `node` label (IPv6 in brackets).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func < (a: ClusterNode, b: ClusterNode) -> Bool { (a.host, a.port) < (b.host, b.port) }
}

/// Which primary serves each of the 16384 slots: read from `CLUSTER SHARDS` (Redis 7.0+) or
/// `CLUSTER SLOTS` (before), replicas left out (reads go to primaries).
public struct ClusterMap: Sendable, Equatable {
    /// Every primary that serves a slot, sorted.
    public private(set) var primaries: [ClusterNode]
    /// For each slot, the index of its primary in `primaries`, or -1.
    private var owners: [Int16]

    public init(ranges: [(ClosedRange<Int>, ClusterNode)]) {
        primaries = Set(ranges.map(\.1)).sorted()
        var index: [ClusterNode: Int16] = [:]
        for (i, node) in primaries.enumerated() { index[node] = Int16(i) }
        owners = Array(repeating: -1, count: HashSlot.count)
        for (range, node) in ranges {
            for slot in range.clamped(to: 0...(HashSlot.count - 1)) { owners[slot] = index[node] ?? -1 }
        }
    }

    public func primary(forSlot slot: Int) -> ClusterNode? {
        guard (0..<HashSlot.count).contains(slot) else { return nil }
        let i = owners[slot]
        return i < 0 ? nil : primaries[Int(i)]
    }

    public func primary(for key: some Collection<UInt8>) -> ClusterNode? { primary(forSlot: HashSlot.of(key)) }

    /// Slots no primary serves (a cluster still forming, or a primary lost with no replica).
    public var uncoveredSlots: Int { owners.reduce(0) { $0 + ($1 < 0 ? 1 : 0) } }

    /// Moves one slot to `node` (a `MOVED` reply says so before the map is read again).
    public mutating func assign(slot: Int, to node: ClusterNode) {
        guard (0..<HashSlot.count).contains(slot) else { return }
        if let i = primaries.firstIndex(of: node) {
            owners[slot] = Int16(i)
        } else {
            var ranges: [(ClosedRange<Int>, ClusterNode)] = []
            for s in 0..<HashSlot.count { if let p = primary(forSlot: s) { ranges.append((s...s, p)) } }
            ranges.append((slot...slot, node))
            self = ClusterMap(ranges: ranges)
        }
    }

    /// `CLUSTER SHARDS`: `[{slots: [start, end, ...], nodes: [{ip, endpoint, port, tls-port,
    /// role, health, ...}]}]`. A node's address is its `endpoint` (what clients are told to
    /// use), else its `ip`; an empty or `?` one is the host the reply came from. With TLS the
    /// node's `tls-port` is used when it has one.
    public static func fromShards(_ reply: RedisReply, askedHost: String, tls: Bool) throws(ReplyError) -> ClusterMap {
        if case .error(let message) = reply { throw ReplyError.from(redisError: message) }
        guard let shards = reply.array else { throw ReplyError(.malformed, "CLUSTER SHARDS reply is not an array") }
        var ranges: [(ClosedRange<Int>, ClusterNode)] = []
        for shard in shards {
            let fields = pairs(shard)
            guard let slots = fields["slots"]?.array, let nodes = fields["nodes"]?.array else {
                throw ReplyError(.malformed, "CLUSTER SHARDS entry without slots or nodes")
            }
            // A failed primary stays listed as a master next to the replica that replaced it
            // (Redis 8.2): the one online is the primary.
            let masters = nodes.map(pairs).filter { $0["role"]?.text == "master" }
            let primary = masters.first { $0["health"]?.text == "online" } ?? masters.first
            guard let primary, slots.count.isMultiple(of: 2) else {
                if slots.isEmpty { continue }  // a shard with no slots: nothing to read there
                throw ReplyError(.malformed, "CLUSTER SHARDS entry without a primary")
            }
            let node = try address(host: [primary["endpoint"], primary["ip"]], port: tls ? primary["tls-port"] ?? primary["port"] : primary["port"],
                                   askedHost: askedHost)
            for i in stride(from: 0, to: slots.count, by: 2) {
                guard let start = slots[i].int, let end = slots[i + 1].int, 0 <= start, start <= end, end < Int64(HashSlot.count) else {
                    throw ReplyError(.malformed, "CLUSTER SHARDS slot range out of 0...16383")
                }
                ranges.append((Int(start)...Int(end), node))
            }
        }
        return ClusterMap(ranges: ranges)
    }

    /// `CLUSTER SLOTS`: `[[start, end, [host, port, id, ...], replicas...], ...]`, the primary first.
    public static func fromSlots(_ reply: RedisReply, askedHost: String) throws(ReplyError) -> ClusterMap {
        if case .error(let message) = reply { throw ReplyError.from(redisError: message) }
        guard let entries = reply.array else { throw ReplyError(.malformed, "CLUSTER SLOTS reply is not an array") }
        var ranges: [(ClosedRange<Int>, ClusterNode)] = []
        for entry in entries {
            guard let items = entry.array, items.count >= 3, let start = items[0].int, let end = items[1].int,
                  0 <= start, start <= end, end < Int64(HashSlot.count), let primary = items[2].array, primary.count >= 2 else {
                throw ReplyError(.malformed, "CLUSTER SLOTS entry is not [start, end, [host, port, ...], ...]")
            }
            ranges.append((Int(start)...Int(end), try address(host: [primary[0]], port: primary[1], askedHost: askedHost)))
        }
        return ClusterMap(ranges: ranges)
    }

    private static func address(host candidates: [RedisReply?], port: RedisReply?, askedHost: String) throws(ReplyError) -> ClusterNode {
        let host = candidates.compactMap { $0?.text }.first { !$0.isEmpty && $0 != "?" } ?? askedHost
        guard let port = port?.int, (1...65535).contains(port) else {
            throw ReplyError(.malformed, "cluster node without a port in 1...65535")
        }
        return ClusterNode(host: host, port: Int(port))
    }

    /// A RESP2 map (flat key/value array) or RESP3-less map as a dictionary, the last value of
    /// a repeated key kept.
    private static func pairs(_ reply: RedisReply) -> [String: RedisReply] {
        guard let items = reply.array else { return [:] }
        var out: [String: RedisReply] = [:]
        for i in stride(from: 0, to: items.count - 1, by: 2) { if let key = items[i].text { out[key] = items[i + 1] } }
        return out
    }

    public static func == (a: ClusterMap, b: ClusterMap) -> Bool { a.primaries == b.primaries && a.owners == b.owners }
}

/// A `MOVED`/`ASK` error: the slot and the node that serves it.
public struct ClusterRedirect: Equatable, Sendable {
    public enum Kind: Sendable { case moved, ask }
    public var kind: Kind
    public var slot: Int
    public var node: ClusterNode

    public init(kind: Kind, slot: Int, node: ClusterNode) {
        self.kind = kind
        self.slot = slot
        self.node = node
    }

    /// `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381` (an empty host: the node asked;
    /// IPv6 hosts carry colons, the port is after the last one).
    public init?(_ message: String, askedHost: String) {
        let parts = message.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), (0..<HashSlot.count).contains(slot),
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        self.slot = slot
        var host = String(parts[2][..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        node = ClusterNode(host: host.isEmpty ? askedHost : host, port: port)
    }
}
