import Auth
import Bcrypt
import Dispatch
import Flags
import Foundation
import HTTPServer
import LagCore
import Logging
import RedisClient

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
    let authSettings: AuthSettings
    /// Web serving without credentials off loopback was asked for explicitly.
    let disableAuth: Bool
    /// The `rediss://` client setup, loaded at start; nil for plain connections.
    let redisTLS: RedisTLS?
    let build: BuildInfo
    let logger: Logger

    /// The process exit status: 0 after SIGTERM/SIGINT, 1 when an address cannot be bound.
    /// A bad credential file or web config, or no credential on a public address, exits 2
    /// before anything starts.
    func run() -> Int32 {
        let credentials = startupCredentials()
        let site = Site(config: config, build: build, credentials: credentials)
        let listeners = Listeners(config: config, handler: site, logger: logger)
        do {
            try listeners.start(tls: credentials.webConfig?.tls.map(TLSSettings.init))
        } catch {
            logger.error("cannot listen", metadata: ["error": "\(error)"])
            return 1
        }
        let poller = Poller(config: config, tls: redisTLS, logger: logger) { snapshot, status in
            site.publish(snapshot: snapshot, status: status)
        }
        logger.info("starting", metadata: [
            "version": "\(build.version)", "redis.address": "\(redisTarget)",
            "streams": "\(config.streams.count)", "streams.patterns": "\(config.streamPatterns.count)",
            "poll.interval": "\(DurationParser.format(config.pollInterval))",
            "auth": "\(credentials.authSummary)",
        ])
        poller.start()
        waitForStop { reload(site: site, listeners: listeners) }
        logger.info("shutting down")
        listeners.shutdown()
        poller.stop(timeout: config.redisTimeout * 2 + 1)
        logger.info("stopped")
        return 0
    }

    /// What the log says the exporter polls: the URL's server, or the sentinels and the master.
    private var redisTarget: String {
        guard let sentinel = config.sentinel else { return config.redis.description }
        return "master '\(sentinel.masterName)' of sentinels " + config.redisURLs.map(\.description).joined(separator: ",")
    }

    /// The credentials to start with; exits 2 when a file is bad, or when nothing protects a
    /// non-loopback address (a verified client certificate counts) and open serving was not
    /// asked for.
    private func startupCredentials() -> Credentials {
        let credentials: Credentials
        do {
            credentials = try Credentials.load(authSettings, verifier: bcryptVerifier(bcryptHash))
        } catch {
            CommandLineFront.badFlag(tool: "stream-lag-exporter", error.description)
        }
        if !credentials.protects && !disableAuth, let open = config.listenAddresses.first(where: { !$0.isLoopback }) {
            CommandLineFront.badFlag(tool: "stream-lag-exporter", """
                refusing to serve \(open) without credentials: it exposes stream and consumer names. \
                Configure --auth.bearer-tokens-file, --auth.jwt.* or basic_auth_users in --web.config.file, \
                listen on 127.0.0.1, or pass --web.disable-auth to serve it open anyway.
                """)
        }
        return credentials
    }

    /// Blocks until SIGTERM or SIGINT, running `reload` for each SIGHUP meanwhile (one at a
    /// time, on a serial queue); returns once no reload is running.
    private func waitForStop(reload: @escaping @Sendable () -> Void) {
        let stop = DispatchSemaphore(value: 0)
        let reloads = DispatchQueue(label: "reload")
        let sources = [SIGTERM, SIGINT, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: sig == SIGHUP ? reloads : .global())
            source.setEventHandler(handler: sig == SIGHUP ? reload : { stop.signal() })
            source.resume()
            return source
        }
        stop.wait()
        sources.forEach { $0.cancel() }
        reloads.sync {}
    }

    /// SIGHUP: re-read every credential file and the web config. A malformed new file is
    /// refused and the old set stays in force; an emptied or deleted one revokes what it held.
    /// A reload never turns the requirement for credentials off: when nothing is left to check,
    /// the protected paths refuse everyone (fail closed) and an error says why.
    private func reload(site: Site, listeners: Listeners) {
        do {
            let fresh = try Credentials.reload(authSettings, verifier: bcryptVerifier(bcryptHash), replacing: site.credentials)
            try listeners.rotate(tls: fresh.webConfig?.tls.map(TLSSettings.init))
            site.replace(credentials: fresh)
            let revoked = fresh.revoked.map { "\($0.flag): \($0.problem)" }.joined(separator: "; ")
            if fresh.failsClosed {
                logger.error(
                    "credentials reloaded, but none is left to check: /metrics and /api/* refuse every request until a reload brings one back",
                    metadata: ["auth": "\(fresh.authSummary)", "revoked": "\(revoked.isEmpty ? "none" : revoked)"])
            } else {
                for revocation in fresh.revoked {
                    logger.warning("credential file emptied or removed; what it held is revoked",
                                   metadata: ["flag": "\(revocation.flag)", "why": "\(revocation.problem)"])
                }
                logger.info("credentials reloaded", metadata: ["auth": "\(fresh.authSummary)"])
            }
        } catch {
            logger.error("reload refused; the previous credentials stay in force", metadata: ["error": "\(error)"])
        }
    }
}

extension Credentials {
    /// For the log: `required`, `none` (served open), or `closed` (required, nothing to check).
    var authSummary: String { failsClosed ? "closed" : protects ? "required" : "none" }
}
