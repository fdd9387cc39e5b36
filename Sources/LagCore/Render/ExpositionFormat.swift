/// The two exposition formats of `/metrics`, chosen per request from `Accept`.
public enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0.0: counter families named without `_total`, and `# EOF` at the end.
    case openMetrics

    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// OpenMetrics when the client lists it with a weight at least that of the text format
    /// (Prometheus sends `application/openmetrics-text;version=1.0.0,…,text/plain;version=0.0.4;q=0.5`).
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text }
        var openMetrics = 0.0, text = 0.0
        for item in HeaderList.items(accept) {
            switch item.value {
            case "application/openmetrics-text": openMetrics = max(openMetrics, item.quality)
            case "text/plain", "*/*", "text/*": text = max(text, item.quality)
            default: break
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .text
    }
}

/// Parses comma-separated header lists with `;q=` weights (`Accept`, `Accept-Encoding`).
public enum HeaderList {
    public struct Item: Equatable {
        public var value: String
        public var quality: Double
    }

    public static func items(_ header: String) -> [Item] {
        header.split(separator: ",").compactMap { part in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let value = pieces.first?.lowercased(), !value.isEmpty else { return nil }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            return Item(value: value, quality: quality)
        }
    }

    /// True when `Accept-Encoding` allows gzip (named, or `*`, with a non-zero weight).
    public static func allowsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        let items = items(acceptEncoding)
        if let gzip = items.first(where: { $0.value == "gzip" || $0.value == "x-gzip" }) { return gzip.quality > 0 }
        return items.first(where: { $0.value == "*" }).map { $0.quality > 0 } ?? false
    }
}
