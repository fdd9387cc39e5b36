internal import CMicroHTTPD
import Foundation
import Synchronization

/// Answers requests. Called on libmicrohttpd's threads, concurrently: it must not block. Work
/// that would (a bcrypt check) goes in `.later(DeferredReply(...))`: the connection waits
/// suspended, without a thread, and the other requests go on.
public protocol HTTPHandler: Sendable {
    func respond(to request: HTTPRequest) -> HTTPAnswer
}

/// Limits that keep slow or hostile clients from starving others.
public struct HTTPLimits: Sendable {
    public var maxConnections: Int
    /// Most concurrent connections from one client address (0: no such limit). Connections over
    /// it are closed as soon as they are accepted.
    public var maxConnectionsPerAddress: Int
    /// Idle time after which a connection is closed.
    public var connectionTimeoutSeconds: Int
    /// Time from a connection's accept to the end of its first request's headers (0: none). A
    /// keep-alive connection gets this plus the idle timeout from the end of a response to the
    /// end of its next request's headers.
    public var headerTimeoutSeconds: Double
    /// Per-connection memory for the request line and headers.
    public var connectionMemoryBytes: Int
    public var threads: Int
    public init(maxConnections: Int = 512, maxConnectionsPerAddress: Int = 0, connectionTimeoutSeconds: Int = 30,
                headerTimeoutSeconds: Double = 0, connectionMemoryBytes: Int = 32 * 1024, threads: Int = 2) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.connectionMemoryBytes = connectionMemoryBytes
        self.threads = threads
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}

/// One libmicrohttpd daemon bound to one address.
public final class HTTPServer: @unchecked Sendable {
    private let daemon: OpaquePointer
    private let context: Unmanaged<ServerContext>
    /// MHD keeps pointers to these: freed only after `MHD_stop_daemon`.
    private let tlsStrings: TLSStrings?
    /// The servers accepting on this server's listening socket (it and its successors).
    private let listeners: ListenerShare
    /// Set once by `shutdown`; a successor can only share the socket before it is.
    private let stopped = Mutex(false)
    /// The port actually bound (useful with port 0).
    public let port: Int
    /// Connections closed because their request headers missed the deadline.
    public var headerTimeouts: Int { deadlines.cutCount }
    private let deadlines: HeaderDeadlines

    /// Binds `host:port` (numeric or a name; empty host means every IPv4 interface) and starts serving.
    ///
    /// - Parameters:
    ///   - tls: serve HTTPS with this key pair; with a client certificate mode other than
    ///     `.none`, a certificate is requested in the handshake and the mode is enforced before
    ///     the handler is called (403, `{"error":"client certificate required"}`).
    public convenience init(host: String, port: Int, handler: any HTTPHandler, limits: HTTPLimits = HTTPLimits(),
                            tls: TLSSettings? = nil) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let bindHost = host.isEmpty ? "0.0.0.0" : host
        let rc = getaddrinfo(bindHost, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPServerError(description: "cannot resolve \(bindHost): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let tlsStrings = try tls.map(TLSStrings.init)
        try self.init(address: first.pointee.ai_addr, listenFD: -1, ipv6: first.pointee.ai_family == AF_INET6,
                      label: "\(host):\(port)", listeners: ListenerShare(),
                      handler: handler, limits: limits, tlsStrings: tlsStrings)
    }

    /// Starts a server that accepts on `previous`'s listening socket (a duplicate of it), for
    /// replacing a server without a moment in which a connection is refused or reset, e.g. to
    /// load new TLS certificates: start the new one, then `previous.shutdown()`; connections that
    /// arrive meanwhile go to either. (Binding a second socket with SO_REUSEPORT instead loses
    /// connections: the kernel resets those still queued on the old socket when it closes.)
    /// Throws if `previous` has been shut down.
    public convenience init(takingOverFrom previous: HTTPServer, handler: any HTTPHandler,
                            limits: HTTPLimits = HTTPLimits(), tls: TLSSettings? = nil) throws {
        let tlsStrings = try tls.map(TLSStrings.init)
        let socket: Int32
        do { socket = try previous.shareListeningSocket() } catch {
            tlsStrings?.free()
            throw error
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        // From here on MHD owns the socket: it closes it on a failed start as on stop.
        try self.init(address: nil, listenFD: socket, ipv6: named == 0 && Int32(address.ss_family) == AF_INET6,
                      label: "the socket of port \(previous.port)",
                      listeners: previous.listeners, handler: handler, limits: limits, tlsStrings: tlsStrings)
    }

    /// Starts the daemon; frees `tlsStrings` and leaves `listeners` if it cannot.
    private init(address: UnsafePointer<sockaddr>?, listenFD: Int32, ipv6: Bool, label: String, listeners: ListenerShare, handler: any HTTPHandler, limits: HTTPLimits,
                 tlsStrings: TLSStrings?) throws {
        // poll, not epoll (what AUTO picks): in MHD 0.9.75, MHD_quiesce_daemon and an epoll worker
        // thread can both try to take the listening socket out of the epoll set, and the loser
        // aborts the process ("Failed to remove listen FD from epoll set"). Measured: the same
        // throughput at 50 and 400 connections.
        // MHD_ALLOW_SUSPEND_RESUME: deferred replies (HTTPAnswer.later) suspend their connection.
        var flags = MHD_USE_POLL_INTERNAL_THREAD.rawValue | MHD_USE_ITC.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if ipv6 { flags |= MHD_USE_IPv6.rawValue }
        if tlsStrings != nil { flags |= MHD_USE_TLS.rawValue }
        let deadlines = HeaderDeadlines(
            first: limits.headerTimeoutSeconds,
            next: limits.headerTimeoutSeconds + Double(limits.connectionTimeoutSeconds))
        let context = Unmanaged.passRetained(ServerContext(
            handler: handler,
            clientAuth: tlsStrings?.clientAuth,
            verifiesClientCertificates: tlsStrings?.verifies ?? false,
            deadlines: deadlines))
        guard let daemon = slx_mhd_start(
            flags, address, listenFD, accessHandler, context.toOpaque(), requestCompleted, connectionNotified,
            UInt32(limits.maxConnections), UInt32(max(limits.maxConnectionsPerAddress, 0)),
            UInt32(limits.connectionTimeoutSeconds),
            limits.connectionMemoryBytes, UInt32(max(limits.threads, 1)),
            tlsStrings?.key, tlsStrings?.certificate, tlsStrings?.trust)
        else {
            let reason = String(cString: strerror(errno))
            deadlines.stop()
            context.release()
            tlsStrings?.free()
            _ = listeners.leave()
            throw HTTPServerError(description: "cannot listen on \(label): \(reason)")
        }
        self.daemon = daemon
        self.context = context
        self.deadlines = deadlines
        self.tlsStrings = tlsStrings
        self.listeners = listeners
        self.port = Int(slx_mhd_bind_port(daemon))
    }

    /// A close-on-exec duplicate of the listening socket, for a successor that joins `listeners`.
    private func shareListeningSocket() throws -> Int32 {
        // Under the lock, so that `shutdown` either sees the successor joined or refuses it.
        try stopped.withLock { (isStopped: inout Bool) throws(HTTPServerError) -> Int32 in
            let socket = isStopped ? -1 : slx_mhd_listen_fd(daemon)
            guard socket >= 0 else { throw HTTPServerError(description: "the server on port \(port) no longer listens") }
            let copy = fcntl(socket, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else {
                throw HTTPServerError(description: "cannot share the socket of port \(port): \(String(cString: strerror(errno)))")
            }
            listeners.join()
            return copy
        }
    }

    /// Stops accepting, lets in-flight requests finish for up to `graceSeconds`, then stops.
    /// The listening socket stops listening at once unless a successor still accepts on it.
    public func shutdown(graceSeconds: Double = 5) {
        let wasStopped = stopped.withLock { isStopped in
            defer { isStopped = true }
            return isStopped
        }
        guard !wasStopped else { return }
        // MHD's threads may still use the quiesced socket: it is closed only after MHD_stop_daemon.
        let listenFD = MHD_quiesce_daemon(daemon)
        if listeners.leave() && listenFD >= 0 {
            _ = Foundation.shutdown(listenFD, Int32(SHUT_RDWR))  // new connections are refused, not queued
        }
        let deadline = Date().addingTimeInterval(graceSeconds)
        // A worker that saw the socket readable just before the quiesce still accepts: give it
        // time to, so that its connection is counted below instead of cut by MHD_stop_daemon.
        if graceSeconds > 0 { usleep(100_000) }
        while slx_mhd_connections(daemon) > 0 && Date() < deadline {
            usleep(20_000)
        }
        // MHD_stop_daemon aborts the process while a connection is suspended: resume the ones
        // still waiting for a deferred reply (they get 503, or are closed) and suspend no more.
        context.takeUnretainedValue().suspensions.resumeAll()
        deadlines.stop()
        MHD_stop_daemon(daemon)
        if listenFD >= 0 { close(listenFD) }
        context.release()
        tlsStrings?.free()
    }

    deinit { shutdown(graceSeconds: 0) }
}

/// Counts the servers that accept on one listening socket: a server and its successors
/// (`init(takingOverFrom:...)`). The last one to stop also stops the socket listening.
private final class ListenerShare: Sendable {
    private let servers = Mutex(1)
    func join() { servers.withLock { $0 += 1 } }
    /// Leaves; true when no server is left.
    func leave() -> Bool {
        servers.withLock { servers in
            servers -= 1
            return servers == 0
        }
    }
}

/// The libmicrohttpd version this process runs with.
public let microhttpdVersion: String = String(cString: MHD_get_version())
