import LagCore

/// What a client chooses in a request that reaches the exporter's own code: method, path,
/// `Accept` and `Accept-Encoding` (newline-separated in the input; libmicrohttpd has already
/// split the request line and headers).
enum HTTPTarget {
    static func run(_ data: [UInt8]) {
        let parts = pieces(data, separator: UInt8(ascii: "\n"))
        let method = parts[0]
        let path = parts.count > 1 ? parts[1] : "/metrics"
        let accept = parts.count > 2 ? parts[2] : nil
        let acceptEncoding = parts.count > 3 ? parts[3] : nil
        for telemetryPath in ["/metrics", path] {
            let route = Route.resolve(method: method, path: path, telemetryPath: telemetryPath)
            _ = route.isProtected
            if route != .notFound, route != .methodNotAllowed {
                precondition(method == "GET" || method == "HEAD", "a route served to method \(method)")
            }
        }
        let format = ExpositionFormat.negotiate(accept: accept)
        _ = format.contentType
        if format == .openMetrics {
            precondition(accept?.lowercased().contains("application/openmetrics-text") == true,
                         "OpenMetrics chosen for an Accept that does not name it")
        }
        if HeaderList.allowsGzip(acceptEncoding) {
            precondition(acceptEncoding!.contains("*") || acceptEncoding!.lowercased().contains("gzip"),
                         "gzip chosen for an Accept-Encoding that allows neither gzip nor *")
        }
    }
}
