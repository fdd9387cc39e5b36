import ArgumentParser
import Flags
import Foundation
import LagCore

/// The command line as `stream-lag-exporter` declares it (Sources/StreamLagExporter/Options.swift):
/// the same option groups, validated in the same order.
struct FuzzCommandLine: ParsableCommand {
    @OptionGroup var redis: RedisOptions
    @OptionGroup var streams: StreamOptions
    @OptionGroup var lag: LagOptions
    @OptionGroup var web: WebOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var log: LogOptions
}

/// Targets for what the operator types: URLs, durations, flags.
enum ConfigTargets {
    static func redisURL(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        if let endpoint = try? RedisURL.parse(text) {
            // Descriptions are logged: they must not fail on any parsed value.
            _ = endpoint.description
        }
        if let address = ListenAddress.parse(text) {
            _ = address.description
            _ = address.isLoopback
        }
        for item in FlagValues.list(text) { _ = try? RedisURL.parse(item) }
    }

    static func duration(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        _ = try? FlagValues.duration("--fuzz", text, minimum: 0.001)
        guard let seconds = DurationParser.seconds(text) else { return }
        precondition(seconds >= 0 && seconds <= DurationParser.maxSeconds, "a parsed duration out of range")
        // `format` promises a text that parses back to the same value to the millisecond.
        let written = DurationParser.format(seconds)
        guard let back = DurationParser.seconds(written) else {
            preconditionFailure("format(\(seconds)) = \(written) does not parse")
        }
        precondition(abs(back - seconds) < 0.001, "format(\(seconds)) = \(written) parses to \(back)")
    }

    /// NUL-separated arguments. Paths into /dev, /proc and /sys are left out: reading
    /// /dev/zero or a terminal never ends, whatever the parser does.
    static func flags(_ data: [UInt8]) {
        let arguments = pieces(data, separator: 0)
        guard !arguments.contains(where: { $0.contains("/dev") || $0.contains("/proc") || $0.contains("/sys") }) else { return }
        let command: FuzzCommandLine
        do {
            command = try FuzzCommandLine.parse(arguments == [""] ? [] : arguments)
        } catch {
            // ArgumentParser's own refusal (its message is its code, and costly to build under
            // ASan: 0.8 s each); the values that parse are what the exporter's code sees.
            return
        }
        var config = ExporterConfig()
        do {
            try command.redis.apply(to: &config, environment: [:])
            try command.streams.apply(to: &config, environment: [:])
            try command.lag.apply(to: &config)
            try command.web.apply(to: &config)
            _ = try command.log.validated()
        } catch {
            _ = error.description.escapingControlCharacters  // the exporter's exit-2 line
            return
        }
        _ = command.auth.settings
        _ = config.freshness(lastCycle: 1)
        _ = Collector.Settings(config: config)
        _ = IndexPage.html(version: "fuzz", telemetryPath: config.telemetryPath, pollInterval: config.pollInterval)
    }
}
