public import ArgumentParser
public import LagCore

/// `--streams*` and `--consumer-group`: what is monitored.
public struct StreamOptions: ParsableArguments {
    @Option(name: .customLong("streams"), help: ArgumentHelp(
        "Comma-separated stream keys always monitored (env EVENT_STREAMS; default \(Defaults.streams))", valueName: "keys"))
    var streams: String?

    @Option(name: .customLong("streams.pattern"), help: ArgumentHelp(
        "Glob of stream keys to discover with SCAN ... TYPE stream; repeatable", valueName: "glob"))
    var patterns: [String] = []

    @Option(name: .customLong("streams.exclude"), help: ArgumentHelp(
        "Glob of keys never monitored, fixed or discovered; repeatable", valueName: "glob"))
    var excludes: [String] = []

    @Option(name: .customLong("streams.discovery-interval"), help: ArgumentHelp("How often discovery rescans", valueName: "duration"))
    var discoveryInterval: String = "60s"

    @Option(name: .customLong("streams.max"), help: ArgumentHelp(
        "Most streams monitored; excess discovered streams are dropped and counted", valueName: "n"))
    var max: Int = 100_000

    @Option(name: .customLong("consumer-group"), help: ArgumentHelp(
        "Comma-separated groups to monitor, or * for every group of every stream (env EVENT_TRANSPORT_CONSUMER_GROUP; default \(Defaults.consumerGroup))",
        valueName: "groups"))
    var consumerGroup: String?

    public init() {}

    public func apply(to c: inout ExporterConfig, environment: [String: String]) throws(FlagError) {
        c.streams = FlagValues.list(streams ?? environment["EVENT_STREAMS"] ?? Defaults.streams).map { Array($0.utf8) }
        if let empty = patterns.first(where: \.isEmpty) {
            throw FlagError(flag: "--streams.pattern", problem: "'\(empty)' is empty")
        }
        c.streamPatterns = patterns
        if let empty = excludes.first(where: \.isEmpty) {
            throw FlagError(flag: "--streams.exclude", problem: "'\(empty)' is empty")
        }
        c.streamExcludes = excludes.map { Array($0.utf8) }
        c.streams = c.streams.filter { !c.isExcluded($0) }
        c.discoveryInterval = try FlagValues.duration("--streams.discovery-interval", discoveryInterval, minimum: 0.01)
        guard max >= 1 else { throw FlagError(flag: "--streams.max", problem: "must be at least 1") }
        c.maxStreams = max
        let groups = FlagValues.list(consumerGroup ?? environment["EVENT_TRANSPORT_CONSUMER_GROUP"] ?? Defaults.consumerGroup)
        if groups.contains("*") {
            c.groups = nil
        } else {
            guard !groups.isEmpty else { throw FlagError(flag: "--consumer-group", problem: "no group named") }
            c.groups = groups.map { Array($0.utf8) }
        }
    }
}
