import Foundation

/// Writes Prometheus text exposition 0.0.4 (or OpenMetrics): HELP/TYPE once per family,
/// escaped labels, into bytes.
struct TextWriter {
    var bytes: [UInt8] = []
    let format: ExpositionFormat

    init(format: ExpositionFormat = .text) {
        self.format = format
    }

    /// The body as text (tests, small bodies).
    var out: String { String(decoding: bytes, as: UTF8.self) }

    mutating func family(_ f: MetricFamily) {
        // OpenMetrics names a counter family without the `_total` its samples carry.
        var family = f.name
        if format == .openMetrics, f.kind == .counter, family.hasSuffix("_total") { family.removeLast(6) }
        bytes.append(text: "# HELP \(family) \(Self.escapeHelp(f.help))\n# TYPE \(family) \(f.kind.rawValue)\n")
    }

    /// One label, `name="value"` with the value escaped, appended to `block`.
    static func appendLabel(_ name: String, _ value: String, to block: inout [UInt8]) {
        block.append(text: name)
        block.append("=\"")
        block.append(text: escapeLabel(value))
        block.append(UInt8(ascii: "\""))
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
        bytes.append(text: name)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (i, (key, val)) in labels.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.appendLabel(key, val, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        appendValue(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `format(v)`, integers without a String on the way.
    private mutating func appendValue(_ v: Double) { Self.appendValue(v, to: &bytes) }

    /// `format(v)` appended to `bytes`.
    static func appendValue(_ v: Double, to bytes: inout [UInt8]) {
        if v == v.rounded(), abs(v) < 1e15 {
            bytes.append(decimal: Int64(v))
        } else {
            bytes.append(text: format(v))
        }
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, Double(value))
    }

    mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }
    mutating func sample(_ name: String, _ value: Int) { sample(name, [], Double(value)) }

    /// Label values escape backslash, double quote and newline (exposition format rules).
    static func escapeLabel(_ s: String) -> String {
        // Bytes, not Characters: a quote followed by a combining mark is one Character. The
        // three are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII.
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return s }
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
        return v.description  // the same text as "\(v)", without the interpolation
    }
}
