public import LagCore
public import RedisClient
public import RedisProtocol

/// A Redis Cluster: its slot map, read from the seeds or any primary known, and one connection
/// per primary. Used by the poller thread; each connection is used by one thread at a time.
public final class ClusterSource: @unchecked Sendable {
    private let config: ExporterConfig
    private let tls: RedisTLS?
    public private(set) var map: ClusterMap?
    private var connections: [ClusterNode: RedisConnection] = [:]
    /// Each primary's version, read once a connection (it decides where Redis' lag is right).
    public private(set) var versions: [ClusterNode: ServerVersion] = [:]

    /// Every node's password: `--redis.password-file` read again before each new connection.
    private var password: String?

    public init(config: ExporterConfig, tls: RedisTLS?) {
        self.config = config
        self.tls = tls
        password = config.redis.password
    }

    /// The first URL's credentials and TLS at `host:port`. A password rotated in Redis and in
    /// the file works from the next connection on; an unreadable file (being replaced) leaves
    /// the last one.
    private func endpoint(host: String, port: Int) -> RedisEndpoint {
        if let file = config.redisPasswordFile, let fromFile = SecretFile.read(file) { password = fromFile }
        var endpoint = config.redis.at(host: host, port: port)
        endpoint.password = password
        return endpoint
    }

    /// Whether the server runs in cluster mode (`INFO cluster` says `cluster_enabled:1`). A
    /// server that does not answer it (an ACL user without `INFO`) is taken for a single one:
    /// `--redis.cluster true` says otherwise.
    public static func isCluster(_ connection: RedisConnection) throws -> Bool {
        let info = try connection.command(["INFO", "cluster"])
        return info.text?.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("cluster_enabled:1") } ?? false
    }

    /// Reads the slot map again: from a primary already known, else from each seed in turn
    /// (a dead seed or a replica is fine: any node knows the map). Keeps the connections of
    /// primaries still in it.
    @discardableResult
    public func refresh() throws -> ClusterMap {
        var problems: [String] = []
        let known = map?.primaries.map { endpoint(host: $0.host, port: $0.port) } ?? []
        // Every node of a cluster takes the same credentials and TLS: the first URL's.
        let seeds = config.redisURLs.map { seed -> RedisEndpoint in
            if case .tcp(let host, let port) = seed.address { return endpoint(host: host, port: port) }
            return seed
        }
        for endpoint in known + seeds {
            let host: String
            if case .tcp(let h, _) = endpoint.address { host = h } else { host = "127.0.0.1" }
            do {
                let connection = try RedisConnection(endpoint: endpoint, timeoutSeconds: config.redisTimeout, tls: tls)
                var reply = try connection.command(["CLUSTER", "SHARDS"])
                let fresh: ClusterMap
                if case .error(let message) = reply, message.lowercased().contains("unknown subcommand") {
                    reply = try connection.command(["CLUSTER", "SLOTS"])  // before 7.0
                    fresh = try ClusterMap.fromSlots(reply, askedHost: host)
                } else {
                    fresh = try ClusterMap.fromShards(reply, askedHost: host, tls: endpoint.tls != nil)
                }
                guard !fresh.primaries.isEmpty else {
                    problems.append("\(endpoint.description): no slot is served")
                    continue
                }
                map = fresh
                for node in connections.keys where !fresh.primaries.contains(node) { connections[node] = nil }
                return fresh
            } catch let error as RedisError {
                if error.kind == .auth || error.kind == .tls { throw error }  // the same for every node
                problems.append("\(endpoint.description): \(error.description)")
            } catch let error as ReplyError {
                problems.append("\(endpoint.description): \(error.description)")
            }
        }
        throw RedisError(.connect, "no cluster node gave the slot map: \(problems.joined(separator: "; "))")
    }

    /// The open connection to `node` while it is fine, else a new one (its version read).
    public func connection(to node: ClusterNode) throws -> RedisConnection {
        if let open = connections[node], !open.isBroken { return open }
        connections[node] = nil
        let fresh = try RedisConnection(endpoint: endpoint(host: node.host, port: node.port),
                                        timeoutSeconds: config.redisTimeout, tls: tls)
        if let text = try fresh.command(["INFO", "server"]).text, let version = ServerVersion(info: text) {
            versions[node] = version
        }
        connections[node] = fresh
        return fresh
    }

    /// Forgets the connection to `node` (it failed, or the node left the map): the next
    /// `connection(to:)` opens a new one.
    public func drop(_ node: ClusterNode) { connections[node] = nil }

    public func disconnect() {
        connections = [:]
    }
}

/// Sends `ASKING` before every command (a key in a slot being migrated, asked at the node it
/// moves to, `ASK` said where), and hands on only the commands' own replies.
public final class AskingPipeline: RedisPipeline {
    private let base: any RedisPipeline
    private static let asking: [[UInt8]] = [Array("ASKING".utf8)]

    public init(_ base: any RedisPipeline) { self.base = base }

    private static func interleave(_ commands: [[[UInt8]]]) -> [[[UInt8]]] {
        var out: [[[UInt8]]] = []
        out.reserveCapacity(commands.count * 2)
        for command in commands { out.append(asking); out.append(command) }
        return out
    }

    public func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        let replies = try base.pipeline(Self.interleave(commands))
        return stride(from: 1, to: replies.count, by: 2).map { replies[$0] }
    }

    public func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws {
        try base.pipeline(Self.interleave(commands)) { index, reply in
            if index % 2 == 1 { body(index / 2, reply) }
        }
    }

    public func pipeline<Commands: RandomAccessCollection<[[UInt8]]>>(
        _ commands: Commands, each body: (Int, ReplyView, inout FollowUps) -> Void, then: (Int, ReplyView) -> Void
    ) throws where Commands.Index == Int {
        // Follow-ups need ASKING too: queued two at a time.
        try base.pipeline(Self.interleave(Array(commands)), each: { index, reply, followUps in
            guard index % 2 == 1 else { return }
            var mine = FollowUps()
            body(index / 2, reply, &mine)
            for command in mine.commands { followUps.append(Self.asking); followUps.append(command) }
        }, then: { index, reply in
            if index % 2 == 1 { then(index / 2, reply) }
        })
    }
}
