internal import CMicroHTTPD

/// Holds the handler for the C callback; kept alive by `HTTPServer` until the daemon is stopped.
final class ServerContext {
    let handler: any HTTPHandler
    /// The client certificate mode, or nil when none is asked for (plain HTTP included).
    let clientAuth: TLSSettings.ClientAuth?
    /// Whether a presented certificate is verified (a client CA was given).
    let verifiesClientCertificates: Bool
    init(handler: any HTTPHandler, clientAuth: TLSSettings.ClientAuth?, verifiesClientCertificates: Bool) {
        self.handler = handler
        self.clientAuth = clientAuth
        self.verifiesClientCertificates = verifiesClientCertificates
    }
}

/// The answer when the client certificate mode refuses a request (shared: MHD reference-counts it).
private let clientCertificateRequired = PreparedResponse(
    text: #"{"error":"client certificate required"}"#, contentType: "application/json")

/// Marks "headers seen" in `*req_cls` between the first and the last handler call.
let accessHandler: MHD_AccessHandlerCallback = {
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
    var certificate = ClientCertificate.none
    if let clientAuth = context.clientAuth {
        switch slx_tls_client_certificate(connection, context.verifiesClientCertificates ? 1 : 0) {
        case 0: certificate = .none
        case 1: certificate = .verified
        default: certificate = .unverified
        }
        if clientAuth.refuses(certificate) {
            return MHD_queue_response(connection, 403, clientCertificateRequired.pointer)
        }
    }
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "/",
        clientCertificate: certificate,
        connection: connection)
    let reply = context.handler.respond(to: request)
    return withExtendedLifetime(reply.response) {
        MHD_queue_response(connection, UInt32(reply.status), reply.response.pointer)
    }
}
