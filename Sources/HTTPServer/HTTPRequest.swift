internal import CMicroHTTPD

/// One request as the handler sees it. Header lookups read libmicrohttpd's connection, so the
/// value must not outlive the handler call.
public struct HTTPRequest {
    public let method: String
    /// The path without the query string.
    public let path: String
    private let connection: OpaquePointer

    init(method: String, path: String, connection: OpaquePointer) {
        self.method = method
        self.path = path
        self.connection = connection
    }

    /// A request header (case-insensitive name), or nil.
    public func header(_ name: String) -> String? {
        guard let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) else { return nil }
        return String(cString: value)
    }
}
