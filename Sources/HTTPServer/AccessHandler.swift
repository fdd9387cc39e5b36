internal import CMicroHTTPD
import Synchronization

/// Holds the handler for the C callbacks; kept alive by `HTTPServer` until the daemon is stopped.
final class ServerContext: Sendable {
    let handler: any HTTPHandler
    /// The client certificate mode, or nil when none is asked for (plain HTTP included).
    let clientAuth: TLSSettings.ClientAuth?
    /// Whether a presented certificate is verified (a client CA was given).
    let verifiesClientCertificates: Bool
    /// The connections suspended for a deferred reply.
    let suspensions = Suspensions()
    /// The connections waiting for a request's headers, and their deadlines.
    let deadlines: HeaderDeadlines
    init(handler: any HTTPHandler, clientAuth: TLSSettings.ClientAuth?, verifiesClientCertificates: Bool,
         deadlines: HeaderDeadlines) {
        self.handler = handler
        self.clientAuth = clientAuth
        self.verifiesClientCertificates = verifiesClientCertificates
        self.deadlines = deadlines
    }
}

/// One request whose reply was deferred. Retained in MHD's `*req_cls` from the handler call that
/// deferred it until `requestCompleted`, however the request ends.
final class PendingRequest: @unchecked Sendable {
    let certificate: ClientCertificate
    /// Set while suspended; guarded by the `Suspensions` lock, like `reply`.
    fileprivate var connection: OpaquePointer?
    fileprivate var reply: (@Sendable (HTTPRequest) -> HTTPReply)?

    init(certificate: ClientCertificate) { self.certificate = certificate }
}

/// The connections of one server that are suspended. MHD_stop_daemon aborts the process when a
/// connection is still suspended, so `resumeAll` resumes every one before it, and from then on
/// nothing is suspended any more. A connection is only resumed while it is in the table, so a
/// late `done` (after `resumeAll`, or a second call) never touches a connection MHD has freed.
final class Suspensions: Sendable {
    private struct State {
        var closing = false
        var suspended: [ObjectIdentifier: PendingRequest] = [:]
    }
    private let state = Mutex(State())

    /// Suspends `connection` for `pending`; false once the server is stopping.
    /// Called on the MHD thread that is handling the connection, as MHD requires.
    func suspend(_ pending: PendingRequest, connection: OpaquePointer) -> Bool {
        state.withLock { state in
            guard !state.closing else { return false }
            pending.connection = connection
            state.suspended[ObjectIdentifier(pending)] = pending
            MHD_suspend_connection(connection)
            return true
        }
    }

    /// Resumes `pending`'s connection with the reply maker; ignored when already resumed.
    func resume(_ pending: PendingRequest, reply: @escaping @Sendable (HTTPRequest) -> HTTPReply) {
        state.withLock { state in
            guard state.suspended.removeValue(forKey: ObjectIdentifier(pending)) != nil,
                  let connection = pending.connection
            else { return }
            pending.reply = reply
            pending.connection = nil
            MHD_resume_connection(connection)
        }
    }

    /// Stops suspending and resumes every suspended connection without a reply (503).
    func resumeAll() {
        state.withLock { state in
            state.closing = true
            for pending in state.suspended.values {
                if let connection = pending.connection {
                    pending.connection = nil
                    MHD_resume_connection(connection)
                }
            }
            state.suspended.removeAll()
        }
    }

    /// The reply maker `resume` left, if any (nil after `resumeAll`).
    func reply(for pending: PendingRequest) -> (@Sendable (HTTPRequest) -> HTTPReply)? {
        state.withLock { _ in pending.reply }
    }
}

/// The answer when the client certificate mode refuses a request (shared: MHD reference-counts it).
private let clientCertificateRequired = PreparedResponse(
    text: #"{"error":"client certificate required"}"#, contentType: "application/json")

/// The answer to a deferred request when the server stops before its work is done.
private let shuttingDown = PreparedResponse(text: #"{"error":"shutting down"}"#, contentType: "application/json")

/// What `*req_cls` holds between the first and the last handler call of a request that is not
/// deferred ("headers seen"); a deferred one holds its retained `PendingRequest` instead.
private var headersSeen: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

private func queue(_ connection: OpaquePointer, _ reply: HTTPReply) -> MHD_Result {
    reply.response.queue(connection, status: reply.status)
}

let accessHandler: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, _, uploadDataSize, requestContext in
    guard let cls, let connection, let uploadDataSize, let requestContext else { return .NO }
    guard let mark = requestContext.pointee else {
        requestContext.pointee = headersSeen
        Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().deadlines.headersArrived(connection)
        return .YES
    }
    if uploadDataSize.pointee != 0 {
        // Bodies are never used: discard them so the request can complete.
        uploadDataSize.pointee = 0
        return .YES
    }
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    let methodName = method.map { String(cString: $0) } ?? ""
    let path = url.map { String(cString: $0) } ?? "/"
    if mark != headersSeen {
        // Called again after a deferred reply's work resumed the connection.
        let pending = Unmanaged<PendingRequest>.fromOpaque(mark).takeUnretainedValue()
        let request = HTTPRequest(method: methodName, path: path, clientCertificate: pending.certificate,
                                  connection: connection)
        let reply = context.suspensions.reply(for: pending).map { $0(request) }
        return queue(connection, reply ?? HTTPReply(status: 503, response: shuttingDown))
    }
    var certificate = ClientCertificate.none
    if let clientAuth = context.clientAuth {
        switch slx_tls_client_certificate(connection, context.verifiesClientCertificates ? 1 : 0) {
        case 0: certificate = .none
        case 1: certificate = .verified
        default: certificate = .unverified
        }
        if clientAuth.refuses(certificate) {
            return clientCertificateRequired.queue(connection, status: 403)
        }
    }
    let request = HTTPRequest(method: methodName, path: path, clientCertificate: certificate, connection: connection)
    switch context.handler.respond(to: request) {
    case .now(let reply):
        return queue(connection, reply)
    case .later(let deferred):
        let pending = PendingRequest(certificate: certificate)
        requestContext.pointee = Unmanaged.passRetained(pending).toOpaque()  // released by requestCompleted
        guard context.suspensions.suspend(pending, connection: connection) else {
            return queue(connection, HTTPReply(status: 503, response: shuttingDown))
        }
        let suspensions = context.suspensions
        deferred.begin { reply in suspensions.resume(pending, reply: reply) }
        return .YES
    }
}

/// MHD_OPTION_NOTIFY_COMPLETED: releases a deferred request's `PendingRequest`, and starts the
/// wait for the connection's next request.
let requestCompleted: MHD_RequestCompletedCallback = { cls, connection, requestContext, _ in
    if let cls, let connection {
        Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().deadlines.requestEnded(connection)
    }
    guard let requestContext, let mark = requestContext.pointee else { return }
    requestContext.pointee = nil
    if mark != headersSeen {
        Unmanaged<PendingRequest>.fromOpaque(mark).release()
    }
}

/// MHD_OPTION_NOTIFY_CONNECTION: a connection's header deadline starts at its accept and ends
/// with it.
let connectionNotified: MHD_NotifyConnectionCallback = { cls, connection, _, code in
    guard let cls, let connection else { return }
    let deadlines = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().deadlines
    if code.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED; 1 is MHD_CONNECTION_NOTIFY_CLOSED
        deadlines.started(connection)
    } else {
        deadlines.closed(connection)
    }
}
