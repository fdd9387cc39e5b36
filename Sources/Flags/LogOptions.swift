public import ArgumentParser
public import LagCore
public import Logging

/// `--log.*`.
public struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log.level"), help: ArgumentHelp("debug, info, warn or error", valueName: "level"))
    var level: String = "info"

    @Option(name: .customLong("log.format"), help: ArgumentHelp("logfmt or json, to stderr", valueName: "format"))
    var format: String = "logfmt"

    public init() {}

    /// The level and format, or an error naming the flag.
    public func validated() throws(FlagError) -> (Logger.Level, LineLogHandler.Format) {
        guard let logLevel = Logger.Level(flag: level) else {
            throw FlagError(flag: "--log.level", problem: "'\(level)' is not debug, info, warn or error")
        }
        guard let logFormat = LineLogHandler.Format(rawValue: format) else {
            throw FlagError(flag: "--log.format", problem: "'\(format)' is not logfmt or json")
        }
        return (logLevel, logFormat)
    }

    /// Sends every logger's lines to stderr in the chosen level and format.
    public func bootstrap() throws(FlagError) {
        let (level, format) = try validated()
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level, format: format) }
    }
}
