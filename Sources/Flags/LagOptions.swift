public import ArgumentParser
public import LagCore

/// `--poll.interval`, `--lag.*` and `--consumers.*`: how often and how lag is judged.
public struct LagOptions: ParsableArguments {
    @Option(name: .customLong("poll.interval"), help: ArgumentHelp("Time between polls, 10ms or more", valueName: "duration"))
    var pollInterval: String = "5s"

    @Option(name: .customLong("lag.degraded-threshold"), help: ArgumentHelp("Lag above this is degraded", valueName: "n"))
    var degradedThreshold: Int = 100

    @Option(name: .customLong("lag.unhealthy-threshold"), help: ArgumentHelp("Lag above this is unhealthy", valueName: "n"))
    var unhealthyThreshold: Int = 1000

    @Option(name: .customLong("lag.count-limit"), help: ArgumentHelp(
        "Most entries counted per group per poll where Redis gives no lag", valueName: "n"))
    var countLimit: Int = 10_000

    @Option(name: .customLong("lag.stall-after"), help: ArgumentHelp(
        "A group with lag whose last-delivered-id has not moved for this long is stalled", valueName: "duration"))
    var stallAfter: String = "5m"

    @Option(name: .customLong("lag.window"), help: ArgumentHelp(
        "The window over which rates, trend and drain time are computed", valueName: "duration"))
    var window: String = "5m"

    @Option(name: .customLong("consumers.max-per-group"), help: ArgumentHelp(
        "Most consumers reported per group; 0 turns them off", valueName: "n"))
    var maxConsumers: Int = 100

    public init() {}

    public func apply(to c: inout ExporterConfig) throws(FlagError) {
        c.pollInterval = try FlagValues.duration("--poll.interval", pollInterval, minimum: 0.01)
        guard degradedThreshold >= 0 else { throw FlagError(flag: "--lag.degraded-threshold", problem: "must not be negative") }
        guard unhealthyThreshold >= degradedThreshold else {
            throw FlagError(flag: "--lag.unhealthy-threshold", problem: "must be at least --lag.degraded-threshold (\(degradedThreshold))")
        }
        c.thresholds = Thresholds(degraded: degradedThreshold, unhealthy: unhealthyThreshold)
        guard countLimit >= 1 else { throw FlagError(flag: "--lag.count-limit", problem: "must be at least 1") }
        c.lagCountLimit = countLimit
        c.stallAfter = try FlagValues.duration("--lag.stall-after", stallAfter, minimum: 0)
        c.lagWindow = try FlagValues.duration("--lag.window", window, minimum: 0.01)
        guard maxConsumers >= 0 else { throw FlagError(flag: "--consumers.max-per-group", problem: "must not be negative") }
        c.maxConsumersPerGroup = maxConsumers
    }
}
