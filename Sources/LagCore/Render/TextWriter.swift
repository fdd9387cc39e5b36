import Foundation

/// Writes Prometheus text exposition 0.0.4: HELP/TYPE once per family, escaped labels.
struct TextWriter {
    private(set) var out: String = ""
    let format: ExpositionFormat

    init(capacity: Int = 4096, format: ExpositionFormat = .text) {
        self.format = format
        out.reserveCapacity(capacity)
    }

    mutating func family(_ f: MetricFamily) {
        // OpenMetrics names a counter family without the `_total` its samples carry.
        var family = f.name
        if format == .openMetrics, f.kind == .counter, family.hasSuffix("_total") { family.removeLast(6) }
        out += "# HELP \(family) \(Self.escapeHelp(f.help))\n# TYPE \(family) \(f.kind.rawValue)\n"
    }

    /// A sample of `f`, its label values in the order of `f.labels`.
    mutating func sample(_ f: MetricFamily, _ labelValues: [String], _ value: Double) {
        sample(f.name, Array(zip(f.labels, labelValues)), value)
    }

    mutating func sample(_ f: MetricFamily, _ value: Double) { sample(f.name, [], value) }
    mutating func sample(_ f: MetricFamily, _ value: Int) { sample(f.name, [], Double(value)) }

    /// A histogram bucket bound: OpenMetrics wants canonical floats (`1.0`, `+Inf`).
    func bound(_ v: Double) -> String {
        let text = Self.format(v)
        guard format == .openMetrics, v.isFinite, !text.contains("."), !text.contains("e") else { return text }
        return text + ".0"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        out += name
        if !labels.isEmpty {
            out += "{"
            for (i, (key, val)) in labels.enumerated() {
                if i > 0 { out += "," }
                out += key
                out += "=\""
                out += Self.escapeLabel(val)
                out += "\""
            }
            out += "}"
        }
        out += " "
        out += Self.format(value)
        out += "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, Double(value))
    }

    mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }
    mutating func sample(_ name: String, _ value: Int) { sample(name, [], Double(value)) }

    /// Label values escape backslash, double quote and newline (exposition format rules).
    static func escapeLabel(_ s: String) -> String {
        // Scalars, not Characters: a quote followed by a combining mark is one Character.
        guard s.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return s }
        var r = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": r += "\\\\"
            case "\"": r += "\\\""
            case "\n": r += "\\n"
            default: r.unicodeScalars.append(ch)
            }
        }
        return r
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
