public import RedisProtocol

/// The defaults the flags and the configuration share, each written once.
public enum Defaults {
    public static let redisURL = "redis://localhost:6380/0"
    /// `redisURL`, parsed (a unit test checks that it parses).
    public static let redis: RedisEndpoint = {
        guard let endpoint = try? RedisURL.parse(redisURL) else { preconditionFailure("Defaults.redisURL does not parse") }
        return endpoint
    }()
    public static let streams = "events:chat,events:ticket,events:remote"
    public static let consumerGroup = "signalr-consumers"
    public static let listenAddress = ListenAddress(host: "127.0.0.1", port: 9840)
}

/// Everything the flags decide, validated; built by the executable, read by everything else.
public struct ExporterConfig: Sendable {
    /// The Redis to poll (credentials, database, TLS); with Sentinel, the master's options, its
    /// address asked from the sentinels.
    public var redis: RedisEndpoint = Defaults.redis
    /// Every `--redis.url`: the server, or the sentinels.
    public var redisURLs: [RedisEndpoint] = [Defaults.redis]
    /// Set by `--redis.sentinel.master`: `redisURLs` are sentinels.
    public var sentinel: SentinelSettings?
    /// `--redis.cluster`: whether `redisURLs` are the seeds of a Redis Cluster.
    public var cluster: ClusterMode = .auto
    public var redisTimeout: Double = 2
    /// `--redis.password-file`: read again before every new connection to the server, so that
    /// a password rotated in Redis and in the file is picked up without a restart.
    public var redisPasswordFile: String?
    public var streams: [[UInt8]] = FlagValues.list(Defaults.streams).map { Array($0.utf8) }
    public var streamPatterns: [String] = []
    /// `--streams.exclude`: Redis globs of keys never monitored, fixed or discovered.
    public var streamExcludes: [[UInt8]] = []
    public var discoveryInterval: Double = 60
    public var maxStreams: Int = 100_000
    /// Group names to monitor; nil means every group of every stream (`*`).
    public var groups: [[UInt8]]? = [Array(Defaults.consumerGroup.utf8)]
    public var pollInterval: Double = 5
    public var thresholds = Thresholds()
    public var lagCountLimit: Int = 10_000
    public var stallAfter: Double = 300
    /// `--lag.window`: rates, trend and drain time are computed over it.
    public var lagWindow: Double = 300
    public var maxConsumersPerGroup: Int = 100
    public var listenAddresses: [ListenAddress] = [Defaults.listenAddress]
    public var telemetryPath: String = "/metrics"
    public var maxConnections: Int = 512
    /// `--web.max-connections-per-ip` (0: no per-address limit).
    public var maxConnectionsPerAddress: Int = 64
    /// `--web.header-timeout`: accept to the end of the first request's headers.
    public var headerTimeout: Double = 10

    public init() {}

    /// When a snapshot's figures stop being served as current.
    public var freshness: Freshness { Freshness(pollInterval: pollInterval) }

    /// The same, when a cycle (poll and publish) takes longer than the interval: three of those
    /// cycles, so that slow polls are not served as stale the moment they are published.
    public func freshness(lastCycle: Double) -> Freshness {
        Freshness(pollInterval: max(pollInterval, lastCycle))
    }
}

/// `--redis.sentinel.*`: the master's name and the sentinels' own password.
public struct SentinelSettings: Sendable, Equatable {
    public var masterName: String
    public var password: String?
    public init(masterName: String, password: String? = nil) {
        self.masterName = masterName
        self.password = password
    }
}

/// The status thresholds: lag <= degraded is healthy, <= unhealthy is degraded, above is unhealthy.
public struct Thresholds: Sendable, Equatable {
    public var degraded: Int = 100
    public var unhealthy: Int = 1000
    public init(degraded: Int = 100, unhealthy: Int = 1000) {
        self.degraded = degraded
        self.unhealthy = unhealthy
    }
}

/// One `--web.listen-address`: `host:port`, `[v6]:port` or `:port` (every interface).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static func parse(_ text: String) -> ListenAddress? {
        guard let (host, portText) = HostPort.split(Substring(text)), let portText,
              let port = Int(portText), (0...65535).contains(port) else { return nil }
        return ListenAddress(host: String(host), port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// True for 127.0.0.0/8, ::1 and localhost: the only places served without credentials.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        // An IPv4 literal in 127.0.0.0/8, not a DNS name that happens to start with "127.".
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Splits `host:port`, `[v6]:port`, `host` or `:port` (the one parser of both
/// `--web.listen-address` and the Redis URL's authority); the callers apply their own defaults
/// and ranges.
enum HostPort {
    /// The host (empty when none is given) and the port text (nil when there is no colon), or
    /// nil when the brackets are broken or an unbracketed host holds a colon.
    static func split(_ text: Substring) -> (host: Substring, port: Substring?)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { return nil }
            return (host, after.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        let host = text[..<colon]
        guard !host.contains(":") else { return nil }
        return (host, text[text.index(after: colon)...])
    }
}

/// `--redis.cluster`: `auto` asks the server (`cluster_enabled:1` in `INFO cluster`).
public enum ClusterMode: String, Sendable, Equatable, CaseIterable {
    case auto
    case on = "true"
    case off = "false"
}

extension ExporterConfig {
    /// Whether `--streams.exclude` leaves `key` out.
    public func isExcluded(_ key: [UInt8]) -> Bool {
        streamExcludes.contains { RedisGlob.matches($0, key) }
    }
}
