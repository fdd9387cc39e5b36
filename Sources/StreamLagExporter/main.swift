import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import LagCore
import Logging
import RedisClient
import RedisProtocol

/// Exit status 2 for any bad flag or value, with one line naming it (Prometheus exporter habit).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stream-lag-exporter: \(message.escapingControlCharacters)\n".utf8))
    exit(2)
}

let options: Options
do {
    options = try Options.parse()
} catch {
    if Options.exitCode(for: error) == .success {
        print(Options.fullMessage(for: error))
        exit(0)
    }
    fail(Options.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
}

let build = BuildInfo(version: exporterVersion, swiftVersion: swiftVersion,
                      hiredisVersion: hiredisVersion, microhttpdVersion: microhttpdVersion)
if options.version {
    print("stream-lag-exporter \(build.version) (swift \(build.swiftVersion), hiredis \(build.hiredisVersion), libmicrohttpd \(build.microhttpdVersion))")
    exit(0)
}

let config: ExporterConfig
do {
    config = try options.config(environment: ProcessInfo.processInfo.environment)
} catch {
    fail("\(error)")
}

let logLevel = Logger.Level(flag: options.logLevel)!
let logFormat = LineLogHandler.Format(rawValue: options.logFormat)!
LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: logLevel, format: logFormat) }
let logger = Logger(label: "stream-lag-exporter")

// hiredis does not suppress SIGPIPE; a closed socket must be an error, not death.
signal(SIGPIPE, SIG_IGN)
exit(Exporter(config: config, authSettings: options.authSettings, disableAuth: options.disableAuth,
              build: build, logger: logger).run())
