/// Maps a request line to what should answer it. Pure, so every status rule is unit-tested.
public enum Route: Sendable, Equatable {
    case metrics, consumerLag, streams, health, liveness, readiness, index
    case notFound
    /// The path exists but the method is not GET or HEAD: 405 with `Allow: GET, HEAD`.
    case methodNotAllowed

    public static let allow = "GET, HEAD"

    public static func resolve(method: String, path: String, telemetryPath: String) -> Route {
        let route: Route
        switch path {
        case telemetryPath: route = .metrics
        case "/api/v1/events/consumer-lag": route = .consumerLag
        case "/api/v1/events/streams": route = .streams
        case "/api/v1/events/health": route = .health
        case "/-/healthy": route = .liveness
        case "/-/ready": route = .readiness
        case "/": route = .index
        default: return .notFound
        }
        return method == "GET" || method == "HEAD" ? route : .methodNotAllowed
    }

    /// True for the paths that carry stream topology (credentials required when configured).
    public var isProtected: Bool {
        switch self {
        case .metrics, .consumerLag, .streams, .health: true
        default: false
        }
    }
}

/// The small HTML page at `/`.
public enum IndexPage {
    public static func html(version: String, telemetryPath: String) -> String {
        let links = [
            (telemetryPath, "Prometheus metrics"),
            ("/api/v1/events/consumer-lag", "Consumer lag (JSON)"),
            ("/api/v1/events/streams", "Streams (JSON)"),
            ("/api/v1/events/health", "Health (JSON)"),
            ("/-/healthy", "Liveness"),
            ("/-/ready", "Readiness"),
        ]
        let items = links.map { "<li><a href=\"\(escape($0.0))\">\(escape($0.1))</a></li>" }.joined(separator: "\n")
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>stream-lag-exporter</title></head>
        <body><h1>stream-lag-exporter \(escape(version))</h1>
        <p>Redis Streams consumer-group lag for Prometheus.</p>
        <ul>
        \(items)
        </ul></body></html>

        """
    }

    static func escape(_ s: String) -> String {
        var r = ""
        for ch in s {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            default: r.append(ch)
            }
        }
        return r
    }
}
