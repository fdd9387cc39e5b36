import ArgumentParser
import Foundation

// Exit status 2 and one line naming the flag for anything wrong on the command line, as the
// exporter does; 0 after SIGINT/SIGTERM or --duration; 1 when Redis refuses the setup.

let options: TrafficOptions
do {
    options = try TrafficOptions.parse()
} catch {
    if TrafficOptions.exitCode(for: error) == .success {
        print(TrafficOptions.fullMessage(for: error))
        exit(0)
    }
    let message = TrafficOptions.message(for: error).split(separator: "\n").first.map(String.init)
    Console.line(message ?? "invalid arguments")
    exit(2)
}

let config: TrafficConfig
do {
    config = try options.config()
} catch {
    Console.line("\(error)")
    exit(2)
}

// hiredis does not suppress SIGPIPE; a closed socket must be an error to retry, not death.
signal(SIGPIPE, SIG_IGN)
let stop = StopFlag()
let sources = stop.watch([SIGINT, SIGTERM])
let outcome = TrafficGenerator(config: config, stop: stop).run()
sources.forEach { $0.cancel() }
exit(outcome.rawValue)
