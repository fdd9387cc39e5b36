import Auth
import Bcrypt
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
    let authSettings: AuthSettings
    /// Web serving without credentials off loopback was asked for explicitly.
    let disableAuth: Bool
    let build: BuildInfo
    let logger: Logger

    /// The process exit status: 0 after SIGTERM/SIGINT, 1 when an address cannot be bound,
    /// 2 when a credential file or the web config is bad or no credential protects a public address.
    func run() -> Int32 {
        let credentials: Credentials
        do {
            credentials = try Credentials.load(authSettings, verifier: bcryptVerifier(bcryptHash))
        } catch {
            FileHandle.standardError.write(Data("stream-lag-exporter: \(error)\n".utf8))
            return 2
        }
        let tls = credentials.webConfig?.tls.map(TLSSettings.init)
        // A verified client certificate (RequireAndVerifyClientCert) counts as a credential.
        if !credentials.protects && !disableAuth, let open = config.listenAddresses.first(where: { !$0.isLoopback }) {
            FileHandle.standardError.write(Data("""
                stream-lag-exporter: refusing to serve \(open) without credentials: it exposes stream and consumer names. \
                Configure --auth.bearer-tokens-file, --auth.jwt.* or basic_auth_users in --web.config.file, \
                listen on 127.0.0.1, or pass --web.disable-auth to serve it open anyway.

                """.utf8))
            return 2
        }
        let site = Site(config: config, build: build, credentials: credentials)
        let listeners = Listeners(config: config, handler: site, logger: logger)
        do {
            try listeners.start(tls: tls)
        } catch {
            logger.error("cannot listen", metadata: ["error": "\(error)"])
            return 1
        }
        let poller = Poller(config: config, logger: logger) { snapshot, status in
            site.publish(snapshot: snapshot, status: status)
        }
        logger.info("starting", metadata: [
            "version": "\(build.version)", "redis.address": "\(config.redis.description)",
            "streams": "\(config.streams.count)", "streams.patterns": "\(config.streamPatterns.count)",
            "poll.interval": "\(DurationParser.format(config.pollInterval))",
            "auth": "\(credentials.authSummary)",
        ])
        poller.start()

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        // One serial queue for reloads: two quick SIGHUPs never interleave.
        let reloads = DispatchQueue(label: "reload")
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: sig == SIGHUP ? reloads : .global())
            if sig == SIGHUP {
                source.setEventHandler { reload(site: site, listeners: listeners) }
            } else {
                source.setEventHandler { stop.signal() }
            }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        logger.info("shutting down")
        reloads.sync {}
        listeners.shutdown()
        poller.stop(timeout: config.redisTimeout * 2 + 1)
        sources.forEach { $0.cancel() }
        logger.info("stopped")
        return 0
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
