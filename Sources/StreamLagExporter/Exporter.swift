import Dispatch
import Foundation
import HTTPServer
import LagCore
import Logging

let exporterVersion = "0.1.0"

let swiftVersion: String = {
    #if compiler(>=6.4)
    "6.4"
    #elseif compiler(>=6.3)
    "6.3"
    #elseif compiler(>=6.2)
    "6.2"
    #elseif compiler(>=6.1)
    "6.1"
    #else
    "6.0"
    #endif
}()

/// Wires the poller, the site and the HTTP daemons together and waits for a signal.
struct Exporter {
    let config: ExporterConfig
    let build: BuildInfo
    let logger: Logger

    /// The process exit status: 0 after SIGTERM/SIGINT, 1 when an address cannot be bound.
    func run() -> Int32 {
        let site = Site(config: config, build: build)
        var servers: [HTTPServer] = []
        for address in config.listenAddresses {
            do {
                let server = try HTTPServer(host: address.host, port: address.port, handler: site)
                servers.append(server)
                logger.info("listening", metadata: ["web.address": "\(ListenAddress(host: address.host, port: server.port))"])
            } catch {
                logger.error("cannot listen", metadata: ["web.address": "\(address)", "error": "\(error)"])
                servers.forEach { $0.shutdown(graceSeconds: 0) }
                return 1
            }
        }
        let poller = Poller(config: config, logger: logger) { snapshot, status in
            site.publish(snapshot: snapshot, status: status)
        }
        logger.info("starting", metadata: [
            "version": "\(build.version)", "redis.address": "\(config.redis.description)",
            "streams": "\(config.streams.count)", "streams.patterns": "\(config.streamPatterns.count)",
            "poll.interval": "\(DurationParser.format(config.pollInterval))",
        ])
        poller.start()

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        logger.info("shutting down")
        servers.forEach { $0.shutdown(graceSeconds: 5) }
        poller.stop(timeout: config.redisTimeout * 2 + 1)
        sources.forEach { $0.cancel() }
        logger.info("stopped")
        return 0
    }
}
