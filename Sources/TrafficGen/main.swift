import Flags
import Foundation

// Exit status 2 and one line naming the flag for anything wrong on the command line, as the
// exporter does; 0 after SIGINT/SIGTERM or --duration; 1 when Redis refuses the setup.

let tool = "stream-lag-traffic"
let options = CommandLineFront.parse(TrafficOptions.self, tool: tool)
let config: TrafficConfig
do {
    config = try options.config(environment: ProcessInfo.processInfo.environment)
} catch {
    CommandLineFront.badFlag(tool: tool, "\(error)")
}

// hiredis does not suppress SIGPIPE; a closed socket must be an error to retry, not death.
signal(SIGPIPE, SIG_IGN)
let stop = StopFlag()
let sources = stop.watch([SIGINT, SIGTERM])
let outcome = TrafficGenerator(config: config, stop: stop).run()
sources.forEach { $0.cancel() }
exit(outcome.rawValue)
