public import LagCore
public import RedisClient
public import RedisProtocol

/// Which Redis to poll and a connection to it: the URL's server, or the master the sentinels
/// name. Used by one thread (the poller's).
public final class RedisSource {
    private let config: ExporterConfig
    private let tls: RedisTLS?
    private var sentinels: SentinelLocator?
    /// The server `connection` talks to; what logs name.
    public private(set) var current: RedisEndpoint
    public private(set) var connection: RedisConnection?
    /// The server's password: `--redis.password-file` read again before each new connection.
    private var password: String?

    public init(config: ExporterConfig, tls: RedisTLS?) {
        self.config = config
        self.tls = tls
        current = config.redis
        password = config.redis.password
        if let sentinel = config.sentinel {
            sentinels = SentinelLocator(settings: sentinel, urls: config.redisURLs, timeout: config.redisTimeout, tls: tls)
        }
    }

    public var isSentinel: Bool { sentinels != nil }

    /// A connection to the server to poll: the open one while it is fine and (with Sentinel)
    /// still the one the sentinels name; else a new one. `fresh` says which.
    public func connected() throws -> (connection: RedisConnection, fresh: Bool) {
        if var locator = sentinels {
            defer { sentinels = locator }
            let (host, port) = try locator.masterAddress()
            var master = config.redis.at(host: host, port: port)
            master.password = password
            if master != current { connection = nil }
            current = master
        }
        if let connection, !connection.isBroken { return (connection, false) }
        connection = nil
        // A password rotated in Redis and in the file works from the next connection on; an
        // unreadable file (being replaced) leaves the last one.
        if let file = config.redisPasswordFile, let fromFile = SecretFile.read(file) {
            password = fromFile
            current.password = fromFile
        }
        let fresh = try RedisConnection(endpoint: current, timeoutSeconds: config.redisTimeout, tls: tls)
        if sentinels != nil {
            // Never poll a replica as the master: right after a failover a sentinel may still
            // name the old one.
            try Self.requireMaster(fresh.command(["ROLE"]), at: current)
        }
        connection = fresh
        return (fresh, true)
    }

    /// What a poll sends its commands through: the connection, and with Sentinel a check that
    /// the server is still the master, in the poll's first round trip (a `ROLE` in front of its
    /// commands, no extra round trip). A master demoted by hand keeps its clients; this sees it.
    public func pipeline(for connection: RedisConnection) -> any RedisPipeline {
        sentinels == nil ? connection : RoleCheckedPipeline(connection: connection, address: current)
    }

    static func requireMaster(_ reply: RedisReply, at address: RedisEndpoint) throws(RedisError) {
        let role = try SentinelReplies.role(reply)
        guard role == "master" else {
            throw RedisError(.sentinel, "\(address.description) is a \(role == "slave" ? "replica" : role), not the master")
        }
    }

    /// Drops the connection (after a failed poll).
    public func disconnect() { connection = nil }
}

/// Asks the sentinels for the master, the one that answered last first; keeps a connection
/// to it.
struct SentinelLocator {
    let settings: SentinelSettings
    let sentinels: [RedisEndpoint]
    let timeout: Double
    let tls: RedisTLS?
    var preferred = 0
    var connection: RedisConnection?

    init(settings: SentinelSettings, urls: [RedisEndpoint], timeout: Double, tls: RedisTLS?) {
        self.settings = settings
        self.timeout = timeout
        self.tls = tls
        // A sentinel has no databases and its own password (or none); ACL users are the master's.
        sentinels = urls.map { url in
            RedisEndpoint(address: url.address, password: settings.password, database: 0, tls: url.tls)
        }
    }

    /// The master's address from the first sentinel that knows it. A sentinel that is down is
    /// skipped; none reachable is `connect` (Redis down); none that knows the name is `sentinel`.
    mutating func masterAddress() throws(RedisError) -> (host: String, port: Int) {
        var problems: [String] = []
        var reachable = false
        var firstAuthError: RedisError?
        for step in 0..<sentinels.count {
            let index = (preferred + step) % sentinels.count
            let sentinel = sentinels[index]
            do {
                let question = ["SENTINEL", "get-master-addr-by-name", settings.masterName]
                var link: RedisConnection
                var reply: RedisReply
                if index == preferred, let kept = connection, !kept.isBroken {
                    do {
                        reply = try kept.command(question)
                        link = kept
                    } catch let error as RedisError where error.kind == .io {
                        // The link kept from an earlier poll died since (the sentinel stopped
                        // or restarted): only a new connection says whether it is down now.
                        connection = nil
                        link = try RedisConnection(endpoint: sentinel, timeoutSeconds: timeout, tls: tls)
                        reply = try link.command(question)
                    }
                } else {
                    connection = nil
                    link = try RedisConnection(endpoint: sentinel, timeoutSeconds: timeout, tls: tls)
                    reply = try link.command(question)
                }
                reachable = true
                if let address = try SentinelReplies.masterAddress(reply) {
                    preferred = index
                    connection = link
                    return address
                }
                problems.append("\(sentinel.description): does not know master '\(settings.masterName)'")
            } catch let error as RedisError {
                if index == preferred { connection = nil }
                if error.kind == .auth, firstAuthError == nil { firstAuthError = error }
                // Refused, silent, or dropped before answering (a sentinel shutting down still
                // accepts for a moment, then resets): down, as far as a poll can tell.
                if error.kind != .connect && error.kind != .timeout && error.kind != .io { reachable = true }
                problems.append("\(sentinel.description): \(error.message)")
            } catch {
                problems.append("\(sentinel.description): \(error)")
            }
        }
        let summary = problems.joined(separator: "; ")
        if let firstAuthError { throw RedisError(.auth, "sentinel: \(firstAuthError.message)") }
        throw RedisError(reachable ? .sentinel : .connect, "no sentinel named the master: \(summary)")
    }
}

/// A connection whose first pipeline also asks `ROLE` and fails unless the server is a master.
final class RoleCheckedPipeline: RedisPipeline {
    private let connection: RedisConnection
    private let address: RedisEndpoint
    private var checked = false

    init(connection: RedisConnection, address: RedisEndpoint) {
        self.connection = connection
        self.address = address
    }

    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        guard !checked else { return try connection.pipeline(commands) }
        checked = true
        let replies = try connection.pipeline([[Array("ROLE".utf8)]] + commands)
        try RedisSource.requireMaster(replies[0], at: address)
        return Array(replies.dropFirst())
    }

    func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws {
        guard !checked else { return try connection.pipeline(commands, each: body) }
        checked = true
        // ROLE's reply comes first: the poll sees no other reply unless the server is the master.
        var refusal: RedisError?
        try connection.pipeline([[Array("ROLE".utf8)]] + commands) { index, reply in
            if index == 0 {
                do throws(RedisError) { try RedisSource.requireMaster(reply.materialize(), at: address) } catch { refusal = error }
            } else if refusal == nil {
                body(index - 1, reply)
            }
        }
        if let refusal { throw refusal }
    }

    func pipeline<Commands: RandomAccessCollection<[[UInt8]]>>(
        _ commands: Commands, each body: (Int, ReplyView, inout FollowUps) -> Void, then: (Int, ReplyView) -> Void
    ) throws where Commands.Index == Int {
        guard !checked else { return try connection.pipeline(commands, each: body, then: then) }
        checked = true
        var refusal: RedisError?
        let role = [Array("ROLE".utf8)]
        let withRole = (0..<commands.count + 1).lazy.map { $0 == 0 ? role : commands[commands.startIndex + $0 - 1] }
        try connection.pipeline(withRole, each: { index, reply, followUps in
            if index == 0 {
                do throws(RedisError) { try RedisSource.requireMaster(reply.materialize(), at: address) } catch { refusal = error }
            } else if refusal == nil {
                body(index - 1, reply, &followUps)
            }
        }, then: then)
        if let refusal { throw refusal }
    }
}
