internal import CMicroHTTPD

/// What the TLS client presented, as the wrapper judged it before calling the handler.
public enum ClientCertificate: Sendable, Equatable {
    /// No certificate: plain HTTP, TLS without client certificates, or the client sent none.
    case none
    /// A certificate that verifies against the configured client CA (for client authentication).
    case verified
    /// A certificate that does not verify, or that was not checked because no client CA is set.
    case unverified
}

/// One request as the handler sees it. Header lookups read libmicrohttpd's connection, so the
/// value must not outlive the handler call.
public struct HTTPRequest {
    public let method: String
    /// The path without the query string.
    public let path: String
    /// The client certificate verdict (`.none` on plain HTTP and when none is asked for).
    public let clientCertificate: ClientCertificate
    private let connection: OpaquePointer

    init(method: String, path: String, clientCertificate: ClientCertificate, connection: OpaquePointer) {
        self.method = method
        self.path = path
        self.clientCertificate = clientCertificate
        self.connection = connection
    }

    /// The client's numeric IP address (`127.0.0.1`, `::1`), or "" when unknown.
    public var clientAddress: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let rc = buffer.withUnsafeMutableBufferPointer { slx_client_address(connection, $0.baseAddress, $0.count) }
        guard rc == 0 else { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A request header (case-insensitive name), or nil.
    public func header(_ name: String) -> String? {
        guard let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) else { return nil }
        return String(cString: value)
    }
}
