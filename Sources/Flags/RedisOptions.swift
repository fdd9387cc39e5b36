public import ArgumentParser
import Foundation
public import LagCore

/// `--redis.*`: where and how to reach Redis. New ways of reaching it (TLS, Sentinel, Cluster)
/// add their flags here.
public struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis.url"), help: ArgumentHelp(
        "redis://[user[:password]@]host:port/db or unix:///path?db=N (env REDIS_URL; default \(Defaults.redisURL))",
        valueName: "url"))
    var url: String?

    @Option(name: .customLong("redis.password-file"), help: ArgumentHelp(
        "File holding the Redis password (env REDIS_PASSWORD holds the value itself)", valueName: "file"))
    var passwordFile: String?

    @Option(name: .customLong("redis.timeout"), help: ArgumentHelp("Connect and command timeout", valueName: "duration"))
    var timeout: String = "2s"

    public init() {}

    public func apply(to c: inout ExporterConfig, environment: [String: String]) throws(FlagError) {
        let text = url ?? environment["REDIS_URL"] ?? Defaults.redisURL
        do {
            c.redis = try RedisURL.parse(text)
        } catch {
            throw FlagError(flag: url == nil && environment["REDIS_URL"] != nil ? "REDIS_URL" : "--redis.url",
                            problem: error.description)
        }
        if let file = passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FlagError(flag: "--redis.password-file", problem: "cannot read \(file)")
            }
            var password = String(decoding: data, as: UTF8.self)
            while password.last == "\n" || password.last == "\r" { password.removeLast() }
            c.redis.password = password
        } else if c.redis.password == nil, let password = environment["REDIS_PASSWORD"], !password.isEmpty {
            c.redis.password = password
        }
        c.redisTimeout = try FlagValues.duration("--redis.timeout", timeout, minimum: 0.001)
    }
}
