import ArgumentParser
import Auth
import Foundation
import LagCore
import Logging
import RedisClient
import RedisProtocol

/// The command line, exactly as the SPEC's flag table. Parsing only: `config()` validates and
/// builds the `ExporterConfig`; every error names its flag.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-lag-exporter",
        abstract: "Prometheus exporter for Redis Streams consumer-group lag.",
        discussion: "Durations are Go/Prometheus style: 500ms, 5s, 1m30s. Environment variables are read where a flag is not given.")

    @Option(name: .customLong("redis.url"), help: ArgumentHelp("redis://[user[:password]@]host:port/db or unix:///path?db=N (env REDIS_URL; default redis://localhost:6380/0)", valueName: "url"))
    var redisURL: String?

    @Option(name: .customLong("redis.password-file"), help: ArgumentHelp("File holding the Redis password (env REDIS_PASSWORD holds the value itself)", valueName: "file"))
    var redisPasswordFile: String?

    @Option(name: .customLong("redis.timeout"), help: ArgumentHelp("Connect and command timeout", valueName: "duration"))
    var redisTimeout: String = "2s"

    @Option(name: .customLong("streams"), help: ArgumentHelp("Comma-separated stream keys always monitored (env EVENT_STREAMS; default events:chat,events:ticket,events:remote)", valueName: "keys"))
    var streams: String?

    @Option(name: .customLong("streams.pattern"), help: ArgumentHelp("Glob of stream keys to discover with SCAN ... TYPE stream; repeatable", valueName: "glob"))
    var streamPatterns: [String] = []

    @Option(name: .customLong("streams.discovery-interval"), help: ArgumentHelp("How often discovery rescans", valueName: "duration"))
    var discoveryInterval: String = "60s"

    @Option(name: .customLong("streams.max"), help: ArgumentHelp("Most streams monitored; excess discovered streams are dropped and counted", valueName: "n"))
    var streamsMax: Int = 100_000

    @Option(name: .customLong("consumer-group"), help: ArgumentHelp("Comma-separated groups to monitor, or * for every group of every stream (env EVENT_TRANSPORT_CONSUMER_GROUP; default signalr-consumers)", valueName: "groups"))
    var consumerGroup: String?

    @Option(name: .customLong("poll.interval"), help: ArgumentHelp("Time between polls, 10ms or more", valueName: "duration"))
    var pollInterval: String = "5s"

    @Option(name: .customLong("lag.degraded-threshold"), help: ArgumentHelp("Lag above this is degraded", valueName: "n"))
    var degradedThreshold: Int = 100

    @Option(name: .customLong("lag.unhealthy-threshold"), help: ArgumentHelp("Lag above this is unhealthy", valueName: "n"))
    var unhealthyThreshold: Int = 1000

    @Option(name: .customLong("lag.count-limit"), help: ArgumentHelp("Most entries counted per group per poll where Redis gives no lag", valueName: "n"))
    var lagCountLimit: Int = 10_000

    @Option(name: .customLong("lag.stall-after"), help: ArgumentHelp("A group with lag whose last-delivered-id has not moved for this long is stalled", valueName: "duration"))
    var stallAfter: String = "5m"

    @Option(name: .customLong("consumers.max-per-group"), help: ArgumentHelp("Most consumers reported per group; 0 turns them off", valueName: "n"))
    var maxConsumers: Int = 100

    @Option(name: .customLong("web.listen-address"), help: ArgumentHelp("Address to serve on; repeatable (default 127.0.0.1:9840)", valueName: "address"))
    var listenAddresses: [String] = []

    @Option(name: .customLong("web.telemetry-path"), help: ArgumentHelp("Path of the metrics", valueName: "path"))
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("log.level"), help: ArgumentHelp("debug, info, warn or error", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .customLong("log.format"), help: ArgumentHelp("logfmt or json, to stderr", valueName: "format"))
    var logFormat: String = "logfmt"

    @Option(name: .customLong("web.max-connections"), help: ArgumentHelp("Most concurrent HTTP connections", valueName: "n"))
    var maxConnections: Int = 512

    @Option(name: .customLong("web.config.file"), help: ArgumentHelp("Prometheus exporter-toolkit web config: tls_server_config and basic_auth_users (bcrypt)", valueName: "file"))
    var webConfigFile: String?

    @Flag(name: .customLong("web.disable-auth"), help: "Serve without credentials on a non-loopback address (refused otherwise)")
    var disableAuth = false

    @Option(name: .customLong("auth.bearer-tokens-file"), help: ArgumentHelp("File of static bearer tokens, one a line (what Prometheus sends with authorization.credentials_file)", valueName: "file"))
    var bearerTokensFile: String?

    @Option(name: .customLong("auth.jwt.hmac-secret-file"), help: ArgumentHelp("File holding the HMAC secret of HS256/HS384/HS512 JWTs", valueName: "file"))
    var jwtHMACSecretFile: String?

    @Option(name: .customLong("auth.jwt.public-key-file"), help: ArgumentHelp("PEM public key of RS*/PS*/ES* JWTs", valueName: "file"))
    var jwtPublicKeyFile: String?

    @Option(name: .customLong("auth.jwt.jwks-file"), help: ArgumentHelp("JWKS document of JWT keys, chosen by kid", valueName: "file"))
    var jwtJWKSFile: String?

    @Option(name: .customLong("auth.jwt.issuer"), help: ArgumentHelp("When set, a JWT's iss must equal it", valueName: "issuer"))
    var jwtIssuer: String?

    @Option(name: .customLong("auth.jwt.audience"), help: ArgumentHelp("When set, a JWT's aud must contain it", valueName: "audience"))
    var jwtAudience: String?

    @Flag(name: .customLong("version"), help: "Print the version of the exporter, Swift, hiredis and libmicrohttpd")
    var version = false


    func config(environment: [String: String]) throws -> ExporterConfig {
        var c = ExporterConfig()
        let url = redisURL ?? environment["REDIS_URL"] ?? "redis://localhost:6380/0"
        do {
            c.redis = try RedisURL.parse(url)
        } catch {
            throw FlagError(flag: redisURL == nil && environment["REDIS_URL"] != nil ? "REDIS_URL" : "--redis.url",
                          problem: error.description)
        }
        if let file = redisPasswordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FlagError(flag: "--redis.password-file", problem: "cannot read \(file)")
            }
            var password = String(decoding: data, as: UTF8.self)
            while password.last == "\n" || password.last == "\r" { password.removeLast() }
            c.redis.password = password
        } else if c.redis.password == nil, let password = environment["REDIS_PASSWORD"], !password.isEmpty {
            c.redis.password = password
        }
        c.redisTimeout = try FlagValues.duration("--redis.timeout", redisTimeout, minimum: 0.001)
        let streamList = streams ?? environment["EVENT_STREAMS"] ?? "events:chat,events:ticket,events:remote"
        c.streams = FlagValues.list(streamList).map { Array($0.utf8) }
        c.streamPatterns = streamPatterns
        if let empty = streamPatterns.first(where: \.isEmpty) {
            throw FlagError(flag: "--streams.pattern", problem: "'\(empty)' is empty")
        }
        c.discoveryInterval = try FlagValues.duration("--streams.discovery-interval", discoveryInterval, minimum: 0.01)
        guard streamsMax >= 1 else { throw FlagError(flag: "--streams.max", problem: "must be at least 1") }
        c.maxStreams = streamsMax
        let groupList = consumerGroup ?? environment["EVENT_TRANSPORT_CONSUMER_GROUP"] ?? "signalr-consumers"
        let groups = FlagValues.list(groupList)
        if groups.contains("*") {
            c.groups = nil
        } else {
            guard !groups.isEmpty else { throw FlagError(flag: "--consumer-group", problem: "no group named") }
            c.groups = groups.map { Array($0.utf8) }
        }
        c.pollInterval = try FlagValues.duration("--poll.interval", pollInterval, minimum: 0.01)
        guard degradedThreshold >= 0 else { throw FlagError(flag: "--lag.degraded-threshold", problem: "must not be negative") }
        guard unhealthyThreshold >= degradedThreshold else {
            throw FlagError(flag: "--lag.unhealthy-threshold", problem: "must be at least --lag.degraded-threshold (\(degradedThreshold))")
        }
        c.thresholds = Thresholds(degraded: degradedThreshold, unhealthy: unhealthyThreshold)
        guard lagCountLimit >= 1 else { throw FlagError(flag: "--lag.count-limit", problem: "must be at least 1") }
        c.lagCountLimit = lagCountLimit
        c.stallAfter = try FlagValues.duration("--lag.stall-after", stallAfter, minimum: 0)
        guard maxConsumers >= 0 else { throw FlagError(flag: "--consumers.max-per-group", problem: "must not be negative") }
        c.maxConsumersPerGroup = maxConsumers
        if !listenAddresses.isEmpty {
            c.listenAddresses = try listenAddresses.map { text in
                guard let address = ListenAddress.parse(text) else {
                    throw FlagError(flag: "--web.listen-address", problem: "'\(text)' is not host:port")
                }
                return address
            }
            for (index, address) in c.listenAddresses.enumerated() where c.listenAddresses[..<index].contains(address) {
                throw FlagError(flag: "--web.listen-address", problem: "\(address) is given twice")
            }
        }
        guard telemetryPath.hasPrefix("/"), !telemetryPath.hasPrefix("/api/"), telemetryPath != "/",
              telemetryPath != "/-/healthy", telemetryPath != "/-/ready"
        else {
            throw FlagError(flag: "--web.telemetry-path", problem: "'\(telemetryPath)' must start with / and not be a path the exporter already serves")
        }
        c.telemetryPath = telemetryPath
        guard (1...1_000_000).contains(maxConnections) else {
            throw FlagError(flag: "--web.max-connections", problem: "must be from 1 to 1000000")
        }
        c.maxConnections = maxConnections
        guard Logger.Level(flag: logLevel) != nil else {
            throw FlagError(flag: "--log.level", problem: "'\(logLevel)' is not debug, info, warn or error")
        }
        guard LineLogHandler.Format(rawValue: logFormat) != nil else {
            throw FlagError(flag: "--log.format", problem: "'\(logFormat)' is not logfmt or json")
        }
        return c
    }

    /// The credential flags, loaded (and re-loaded on SIGHUP) by `Auth.Credentials`.
    var authSettings: AuthSettings {
        AuthSettings(
            bearerTokensFile: bearerTokensFile, jwtHMACSecretFile: jwtHMACSecretFile,
            jwtPublicKeyFile: jwtPublicKeyFile, jwtJWKSFile: jwtJWKSFile, jwtIssuer: jwtIssuer,
            jwtAudience: jwtAudience, webConfigFile: webConfigFile)
    }
}
