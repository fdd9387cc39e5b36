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

/// `stream-lag-exporter check [the same flags] [--output table|json]`: one poll, a verdict, an
/// exit code as a monitoring plugin gives it; no HTTP listener.
struct CheckOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-lag-exporter check",
        abstract: "Poll Redis once, print the lag of every monitored group, exit 0 healthy, 1 degraded, 2 unhealthy or stalled, 3 unknown.",
        discussion: "Takes the exporter's flags (the web and authentication ones are accepted and unused).")

    @OptionGroup var exporter: Options

    @Option(name: .customLong("output"), help: ArgumentHelp("table, or json (the consumer-lag body)", valueName: "format"))
    var output: String = "table"
}
