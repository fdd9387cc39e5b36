import ArgumentParser
import Flags
import LagCore

/// The command line, exactly as the SPEC's flag table: one option group per concern (each owns
/// its flags, defaults and validation; see Sources/Flags), and `--version`.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-lag-exporter",
        abstract: "Prometheus exporter for Redis Streams consumer-group lag.",
        discussion: "Durations are Go/Prometheus style: 500ms, 5s, 1m30s. Environment variables are read where a flag is not given.")

    @OptionGroup(title: "Redis") var redis: RedisOptions
    @OptionGroup(title: "Streams") var streams: StreamOptions
    @OptionGroup(title: "Polling and lag") var lag: LagOptions
    @OptionGroup(title: "Web") var web: WebOptions
    @OptionGroup(title: "Authentication") var auth: AuthOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    @Flag(name: .customLong("version"), help: "Print the version of the exporter, Swift, hiredis and libmicrohttpd")
    var version = false

    /// Validates every group and builds the configuration; the first error names its flag.
    func config(environment: [String: String]) throws(FlagError) -> ExporterConfig {
        var c = ExporterConfig()
        try redis.apply(to: &c, environment: environment)
        try streams.apply(to: &c, environment: environment)
        try lag.apply(to: &c)
        try web.apply(to: &c)
        _ = try log.validated()
        return c
    }
}
