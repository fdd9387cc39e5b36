public import ArgumentParser
import Foundation
public import LagCore
import RedisProtocol

/// `--redis.*`: where and how to reach Redis: the URLs (a server, or its sentinels), the
/// password, TLS and Sentinel.
public struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis.url"), help: ArgumentHelp(
        "redis://[user[:password]@]host:port/db, rediss://… (TLS) or unix:///path?db=N; repeatable or comma-separated: a Redis Cluster's seed nodes, or the sentinels with --redis.sentinel.master (env REDIS_URL; default \(Defaults.redisURL))",
        valueName: "url"))
    var urls: [String] = []

    @Option(name: .customLong("redis.password-file"), help: ArgumentHelp(
        "File holding the Redis password (env REDIS_PASSWORD holds the value itself)", valueName: "file"))
    var passwordFile: String?

    @Option(name: .customLong("redis.timeout"), help: ArgumentHelp("Connect and command timeout", valueName: "duration"))
    var timeout: String = "2s"

    @Option(name: .customLong("redis.tls.ca-file"), help: ArgumentHelp(
        "PEM bundle that verifies the server's certificate (rediss://; default: the system's CAs)", valueName: "file"))
    var tlsCAFile: String?

    @Option(name: .customLong("redis.tls.cert-file"), help: ArgumentHelp(
        "Client certificate for mutual TLS (with --redis.tls.key-file)", valueName: "file"))
    var tlsCertFile: String?

    @Option(name: .customLong("redis.tls.key-file"), help: ArgumentHelp(
        "Key of the client certificate", valueName: "file"))
    var tlsKeyFile: String?

    @Option(name: .customLong("redis.tls.server-name"), help: ArgumentHelp(
        "Name verified in the server's certificate and sent as SNI (default: the URL's host)", valueName: "name"))
    var tlsServerName: String?

    @Flag(name: .customLong("redis.tls.insecure-skip-verify"), help: "Do not verify the server's certificate (a warning is logged at every start)")
    var tlsInsecureSkipVerify = false

    @Option(name: .customLong("redis.sentinel.master"), help: ArgumentHelp(
        "The --redis.url's are sentinels: monitor the current master of this name", valueName: "name"))
    var sentinelMaster: String?

    @Option(name: .customLong("redis.sentinel.password-file"), help: ArgumentHelp(
        "File holding the sentinels' password (the master's comes from the URL or --redis.password-file)", valueName: "file"))
    var sentinelPasswordFile: String?

    @Option(name: .customLong("redis.cluster"), help: ArgumentHelp(
        "auto (cluster mode when the server says cluster_enabled:1, or when several --redis.url are given without sentinels), true or false",
        valueName: "mode"))
    var cluster: String = ClusterMode.auto.rawValue

    public init() {}

    public func apply(to c: inout ExporterConfig, environment: [String: String]) throws(FlagError) {
        let fromEnvironment = urls.isEmpty && environment["REDIS_URL"] != nil
        let flag = fromEnvironment ? "REDIS_URL" : "--redis.url"
        let texts = urls.isEmpty ? [environment["REDIS_URL"] ?? Defaults.redisURL] : urls
        var endpoints: [RedisEndpoint] = []
        for text in texts.flatMap(FlagValues.list) {
            do {
                endpoints.append(try RedisURL.parse(text))
            } catch {
                throw FlagError(flag: flag, problem: error.description)
            }
        }
        guard var first = endpoints.first else { throw FlagError(flag: flag, problem: "no URL given") }
        c.redisPasswordFile = passwordFile
        if let file = passwordFile {
            first.password = try Self.secret(in: file, flag: "--redis.password-file")
        } else if first.password == nil, let password = environment["REDIS_PASSWORD"], !password.isEmpty {
            first.password = password
        }
        let tls = try tlsOptions(urls: endpoints)
        endpoints = endpoints.map { endpoint in
            var e = endpoint
            if e.tls != nil { e.tls = tls }
            return e
        }
        first.tls = endpoints[0].tls
        c.redis = first
        c.redisURLs = endpoints
        c.sentinel = try sentinel(endpoints: endpoints, flag: flag)
        guard let mode = ClusterMode(rawValue: cluster) else {
            throw FlagError(flag: "--redis.cluster", problem: "'\(cluster.escapingControlCharacters)' is not auto, true or false")
        }
        c.cluster = mode
        if c.sentinel != nil, mode == .on {
            throw FlagError(flag: "--redis.cluster", problem: "a Redis Cluster is not monitored through sentinels: drop --redis.sentinel.master or this flag")
        }
        if c.sentinel == nil, endpoints.count > 1, mode == .off {
            throw FlagError(flag: flag, problem: "several URLs are a cluster's seeds or the sentinels of --redis.sentinel.master, not one server (--redis.cluster false)")
        }
        if c.sentinel == nil, mode != .off, endpoints.count > 1 || mode == .on,
           endpoints.contains(where: { if case .unix = $0.address { true } else { false } }) {
            throw FlagError(flag: flag, problem: "a Redis Cluster's nodes are reached over TCP: use redis:// or rediss://")
        }
        c.redisTimeout = try FlagValues.duration("--redis.timeout", timeout, minimum: 0.001)
    }

    /// `--redis.tls.*`, checked against the URLs: they only mean something for `rediss://`.
    private func tlsOptions(urls: [RedisEndpoint]) throws(FlagError) -> TLSClientOptions {
        let options = TLSClientOptions(caFile: tlsCAFile, certFile: tlsCertFile, keyFile: tlsKeyFile,
                                       serverName: tlsServerName, insecureSkipVerify: tlsInsecureSkipVerify)
        let given: [(String, Bool)] = [
            ("--redis.tls.ca-file", tlsCAFile != nil), ("--redis.tls.cert-file", tlsCertFile != nil),
            ("--redis.tls.key-file", tlsKeyFile != nil), ("--redis.tls.server-name", tlsServerName != nil),
            ("--redis.tls.insecure-skip-verify", tlsInsecureSkipVerify),
        ]
        if let (flag, _) = given.first(where: { $0.1 }), !urls.contains(where: { $0.tls != nil }) {
            throw FlagError(flag: flag, problem: "TLS options need a rediss:// URL")
        }
        if tlsCertFile != nil, tlsKeyFile == nil {
            throw FlagError(flag: "--redis.tls.key-file", problem: "--redis.tls.cert-file needs its key")
        }
        if tlsKeyFile != nil, tlsCertFile == nil {
            throw FlagError(flag: "--redis.tls.cert-file", problem: "--redis.tls.key-file needs its certificate")
        }
        if let name = tlsServerName, name.isEmpty || name.contains(where: { $0.isWhitespace }) {
            throw FlagError(flag: "--redis.tls.server-name", problem: "'\(name.escapingControlCharacters)' is not a host name")
        }
        return options
    }

    private func sentinel(endpoints: [RedisEndpoint], flag: String) throws(FlagError) -> SentinelSettings? {
        guard let master = sentinelMaster else {
            if sentinelPasswordFile != nil {
                throw FlagError(flag: "--redis.sentinel.password-file", problem: "needs --redis.sentinel.master")
            }
            return nil
        }
        guard !master.isEmpty, !master.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw FlagError(flag: "--redis.sentinel.master", problem: "'\(master.escapingControlCharacters)' is not a master name")
        }
        if endpoints.contains(where: { if case .unix = $0.address { return true } else { return false } }) {
            throw FlagError(flag: flag, problem: "sentinels are reached over TCP: use redis:// or rediss://")
        }
        let password = try sentinelPasswordFile.map { path throws(FlagError) in
            try Self.secret(in: path, flag: "--redis.sentinel.password-file")
        }
        return SentinelSettings(masterName: master, password: password)
    }

    /// A secret file's first line (trailing newlines dropped); its contents never reach an error.
    private static func secret(in file: String, flag: String) throws(FlagError) -> String {
        guard let text = SecretFile.read(file) else { throw FlagError(flag: flag, problem: "cannot read \(file)") }
        return text
    }
}
