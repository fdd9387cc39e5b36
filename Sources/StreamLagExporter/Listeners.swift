import Auth
import Foundation
import HTTPServer
import LagCore
import Logging
import Synchronization

/// The HTTP daemons, one per `--web.listen-address`. On SIGHUP with a changed TLS config a new
/// set takes over the listening sockets before the old set stops, so no scrape is refused.
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
        let servers = try bind(config.listenAddresses, tls: tls)
        state.withLock { $0 = State(servers: servers, tls: tls) }
    }

    /// Puts a new TLS config in force without refusing a connection: each new daemon accepts on
    /// a duplicate of its predecessor's listening socket, which never closes, and only then does
    /// the predecessor stop. (Binding a second socket with SO_REUSEPORT instead reset about 4%
    /// of scrapes during reloads: Linux drops what is queued on the socket that closes.)
    func rotate(tls next: TLSSettings?) throws {
        let current = state.withLock { $0 }
        guard next != current.tls else { return }
        let limits = HTTPLimits(
            maxConnections: config.maxConnections, maxConnectionsPerAddress: config.maxConnectionsPerAddress,
            headerTimeoutSeconds: config.headerTimeout)
        var fresh: [HTTPServer] = []
        do {
            for old in current.servers {
                fresh.append(try HTTPServer(takingOverFrom: old, handler: handler, limits: limits, tls: next))
            }
        } catch {
            fresh.forEach { $0.shutdown(graceSeconds: 0) }
            throw error
        }
        state.withLock { $0 = State(servers: fresh, tls: next) }
        current.servers.forEach { $0.shutdown(graceSeconds: 5) }
        logger.info("tls settings reloaded", metadata: ["web.listeners": "\(fresh.count)", "web.tls": "\(next != nil)"])
    }

    func shutdown() {
        let servers = state.withLock { state in
            defer { state.servers = [] }
            return state.servers
        }
        servers.forEach { $0.shutdown(graceSeconds: 5) }
    }

    private func bind(_ addresses: [ListenAddress], tls: TLSSettings?) throws -> [HTTPServer] {
        let limits = HTTPLimits(
            maxConnections: config.maxConnections, maxConnectionsPerAddress: config.maxConnectionsPerAddress,
            headerTimeoutSeconds: config.headerTimeout)
        var bound: [HTTPServer] = []
        for address in addresses {
            do {
                let server = try HTTPServer(host: address.host, port: address.port, handler: handler,
                                            limits: limits, tls: tls)
                bound.append(server)
                logger.info("listening", metadata: [
                    "web.address": "\(ListenAddress(host: address.host, port: server.port))",
                    "web.tls": "\(tls != nil)",
                ])
            } catch {
                bound.forEach { $0.shutdown(graceSeconds: 0) }
                throw error  // its description names the address
            }
        }
        return bound
    }
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
