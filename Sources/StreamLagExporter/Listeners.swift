import Auth
import Foundation
import HTTPServer
import LagCore
import Logging
import Synchronization

/// The HTTP daemons, one per `--web.listen-address`. On SIGHUP with a changed TLS config a new
/// set binds the same ports (SO_REUSEPORT) before the old set stops, so no scrape is refused.
final class Listeners: Sendable {
    private struct State {
        var servers: [HTTPServer] = []
        var tls: TLSSettings?
    }

    private let config: ExporterConfig
    private let handler: any HTTPHandler
    private let logger: Logger
    private let state = Mutex(State())

    init(config: ExporterConfig, handler: any HTTPHandler, logger: Logger) {
        self.config = config
        self.handler = handler
        self.logger = logger
    }

    /// Binds every address; throws a line naming the address that failed.
    func start(tls: TLSSettings?) throws {
        let servers = try bind(config.listenAddresses, tls: tls, log: true)
        state.withLock { $0 = State(servers: servers, tls: tls) }
    }

    /// Puts a new TLS config in force without a moment where nothing listens.
    func rotate(tls next: TLSSettings?) throws {
        let current = state.withLock { $0 }
        guard next != current.tls else { return }
        guard current.tls != nil, next != nil else {
            throw ListenError(description: "turning TLS on or off needs a restart")
        }
        let bound = zip(config.listenAddresses, current.servers).map { ListenAddress(host: $0.host, port: $1.port) }
        let fresh = try bind(bound, tls: next, log: false)
        state.withLock { $0 = State(servers: fresh, tls: next) }
        current.servers.forEach { $0.shutdown(graceSeconds: 5) }
        logger.info("tls certificate reloaded", metadata: ["web.listeners": "\(fresh.count)"])
    }

    func shutdown() {
        let servers = state.withLock { state in
            defer { state.servers = [] }
            return state.servers
        }
        servers.forEach { $0.shutdown(graceSeconds: 5) }
    }

    private func bind(_ addresses: [ListenAddress], tls: TLSSettings?, log: Bool) throws -> [HTTPServer] {
        let limits = HTTPLimits(maxConnections: config.maxConnections)
        var bound: [HTTPServer] = []
        for address in addresses {
            do {
                // Port reuse only with TLS, where rotation needs it; without TLS a second
                // exporter on the same port must fail to bind.
                let server = try HTTPServer(host: address.host, port: address.port, handler: handler,
                                            limits: limits, tls: tls, reuseAddress: tls != nil)
                bound.append(server)
                if log {
                    logger.info("listening", metadata: [
                        "web.address": "\(ListenAddress(host: address.host, port: server.port))",
                        "web.tls": "\(tls != nil)",
                    ])
                }
            } catch {
                bound.forEach { $0.shutdown(graceSeconds: 0) }
                throw error  // its description names the address
            }
        }
        return bound
    }
}

struct ListenError: Error, CustomStringConvertible {
    let description: String
}

extension TLSSettings {
    /// The exporter-toolkit `tls_server_config`, as libmicrohttpd takes it.
    init(_ web: WebConfig.TLS) {
        let mode: ClientAuth
        switch web.clientAuth {
        case .noClientCert: mode = .none
        case .requestClientCert: mode = .request
        case .requireAnyClientCert: mode = .requireAny
        case .verifyClientCertIfGiven: mode = .verifyIfGiven
        case .requireAndVerifyClientCert: mode = .requireAndVerify
        }
        self.init(certificatePEM: web.certPEM, privateKeyPEM: web.keyPEM, clientCAPEM: web.clientCAPEM, clientAuth: mode)
    }
}
