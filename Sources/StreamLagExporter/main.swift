import CMalloc
import Flags
import Dispatch
import Foundation
import HTTPServer
import LagCore
import Logging
import RedisClient
import RedisProtocol

let tool = "stream-lag-exporter"
let arguments = Array(CommandLine.arguments.dropFirst())
// `check`: one poll, a table or the JSON body, an exit code; no listener.
let check = arguments.first == "check" ? CommandLineFront.parse(CheckOptions.self, tool: tool + " check", arguments: Array(arguments.dropFirst())) : nil
if let check, check.output != "table", check.output != "json" {
    CommandLineFront.badFlag(tool: tool + " check", "invalid value for --output: '\(check.output.escapingControlCharacters)' is not table or json")
}
let options = check?.exporter ?? CommandLineFront.parse(Options.self, tool: tool)

let build = BuildInfo(version: exporterVersion, swiftVersion: swiftVersion,
                      hiredisVersion: hiredisVersion, microhttpdVersion: microhttpdVersion)
if options.version {
    print("stream-lag-exporter \(build.version) (swift \(build.swiftVersion), hiredis \(build.hiredisVersion), libmicrohttpd \(build.microhttpdVersion))")
    exit(0)
}

let config: ExporterConfig
do {
    config = try options.config(environment: ProcessInfo.processInfo.environment)
    try options.log.bootstrap()
} catch {
    CommandLineFront.badFlag(tool: tool, error.description)
}
let logger = Logger(label: tool)

// rediss://: the client certificates and CAs are read once, here; a bad file exits 2.
let redisTLS: RedisTLS?
do {
    redisTLS = try config.redisURLs.first(where: { $0.tls != nil })?.tls.map(RedisTLS.init)
} catch {
    CommandLineFront.badFlag(tool: tool, "invalid value for \(error.description)")
}
if redisTLS?.options.insecureSkipVerify == true {
    logger.warning("--redis.tls.insecure-skip-verify: the Redis server's certificate is not verified; anyone on the path can read and change what the exporter sees")
}

// Bodies and reply buffers of a megabyte or more come from mmap and go back to the system the
// moment they are freed (glibc would otherwise raise this threshold as large blocks are freed,
// and serve the next 15 MB body from a heap it keeps).
_ = mallopt(M_MMAP_THRESHOLD, 1 << 20)

// hiredis does not suppress SIGPIPE; a closed socket must be an error, not death.
signal(SIGPIPE, SIG_IGN)
if let check {
    let (snapshot, status) = Poller.pollOnce(config: config, tls: redisTLS, logger: logger)
    let report = CheckReport(snapshot: snapshot, status: status)
    if check.output == "json" {
        print(CheckReport.json(snapshot: snapshot, status: status))
    } else {
        print(report.text, terminator: "")
    }
    exit(report.verdict.rawValue)
}
exit(Exporter(config: config, authSettings: options.auth.settings, disableAuth: options.web.disableAuth,
              redisTLS: redisTLS, build: build, logger: logger).run())
