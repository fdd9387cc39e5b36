/// Go/Prometheus style durations: `500ms`, `5s`, `1m30s`, `2h`, `1d`, `1w`.
public enum DurationParser {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3),
        ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000),
    ]

    /// The longest duration accepted, as in Go (about 292 years).
    public static let maxSeconds = Double(Int64.max) / 1e9

    /// Seconds, or nil when the text is not a duration (or overflows, as Go refuses to).
    public static func seconds(_ text: String) -> Double? {
        if text == "0" { return 0 }
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isNumber || $0 == ".") }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.seconds
        }
        guard total.isFinite, total <= maxSeconds else { return nil }
        return total
    }

    /// A duration written back (`5s`, `1m30s`, `1s500ms`, `500ms`) that parses to the same
    /// value to the millisecond, for `--help` and logs.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds <= maxSeconds else { return "\(seconds)s" }
        // Rounded to the millisecond, but never past the longest duration `seconds` accepts:
        // within half a millisecond of it, rounding up wrote a text that did not parse (fuzzer).
        var ms = min(Int64((seconds * 1000).rounded()), Int64(maxSeconds * 1000))
        if ms == 0 { return "0s" }
        var out = ""
        for (suffix, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000), ("ms", 1)] where ms >= size {
            out += "\(ms / size)\(suffix)"
            ms %= size
        }
        return out
    }
}
