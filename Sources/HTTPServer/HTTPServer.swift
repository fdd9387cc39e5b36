internal import CMicroHTTPD
import Foundation

/// Answers requests. Called on libmicrohttpd's threads, concurrently: it must not block.
public protocol HTTPHandler: Sendable {
    func respond(to request: HTTPRequest) -> HTTPReply
}

/// Limits that keep slow or hostile clients from starving others.
public struct HTTPLimits: Sendable {
    public var maxConnections: Int
    public var connectionTimeoutSeconds: Int
    /// Per-connection memory for the request line and headers.
    public var connectionMemoryBytes: Int
    public var threads: Int
    public init(maxConnections: Int = 512, connectionTimeoutSeconds: Int = 30,
                connectionMemoryBytes: Int = 32 * 1024, threads: Int = 2) {
        self.maxConnections = maxConnections
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionMemoryBytes = connectionMemoryBytes
        self.threads = threads
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}

/// Holds the handler for the C callback; kept alive by `HTTPServer` until the daemon is stopped.
private final class ServerContext {
    let handler: any HTTPHandler
    init(handler: any HTTPHandler) { self.handler = handler }
}

/// Marks "headers seen" in `*req_cls` between the first and the last handler call.

private let accessHandler: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, _, uploadDataSize, requestContext in
    guard let cls, let connection, let uploadDataSize, let requestContext else { return .NO }
    if requestContext.pointee == nil {
        requestContext.pointee = UnsafeMutableRawPointer(bitPattern: 1)
        return .YES
    }
    if uploadDataSize.pointee != 0 {
        // Bodies are never used: discard them so the request can complete.
        uploadDataSize.pointee = 0
        return .YES
    }
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "/",
        connection: connection)
    let reply = context.handler.respond(to: request)
    return withExtendedLifetime(reply.response) {
        MHD_queue_response(connection, UInt32(reply.status), reply.response.pointer)
    }
}

/// One libmicrohttpd daemon bound to one address.
public final class HTTPServer: @unchecked Sendable {
    private let daemon: OpaquePointer
    private let context: Unmanaged<ServerContext>
    private let stopped = NSLock()
    private var isStopped = false
    /// The port actually bound (useful with port 0).
    public let port: Int

    /// Binds `host:port` (numeric or a name; empty host means every IPv4 interface) and starts serving.
    public init(host: String, port: Int, handler: any HTTPHandler, limits: HTTPLimits = HTTPLimits()) throws {
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
        var flags = MHD_USE_AUTO_INTERNAL_THREAD.rawValue | MHD_USE_ITC.rawValue
        if first.pointee.ai_family == AF_INET6 { flags |= MHD_USE_IPv6.rawValue }
        let context = Unmanaged.passRetained(ServerContext(handler: handler))
        guard let daemon = slx_mhd_start(
            flags, first.pointee.ai_addr, accessHandler, context.toOpaque(), nil,
            UInt32(limits.maxConnections), UInt32(limits.connectionTimeoutSeconds),
            limits.connectionMemoryBytes, UInt32(max(limits.threads, 1)))
        else {
            context.release()
            throw HTTPServerError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
        }
        self.daemon = daemon
        self.context = context
        self.port = Int(slx_mhd_bind_port(daemon))
    }

    /// Stops accepting, lets in-flight requests finish for up to `graceSeconds`, then stops.
    public func shutdown(graceSeconds: Double = 5) {
        stopped.lock()
        defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        let listenFD = MHD_quiesce_daemon(daemon)
        if listenFD >= 0 { close(listenFD) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while slx_mhd_connections(daemon) > 0 && Date() < deadline {
            usleep(20_000)
        }
        MHD_stop_daemon(daemon)
        context.release()
    }

    deinit { shutdown(graceSeconds: 0) }
}

/// The libmicrohttpd version this process runs with.
public let microhttpdVersion: String = String(cString: MHD_get_version())
