/// Go/Prometheus style durations: `500ms`, `5s`, `1m30s`, `2h`, `1d`, `1w`.
public enum DurationParser {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3),
        ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000),
    ]

    /// Seconds, or nil when the text is not a duration. A bare `0` is accepted.
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
            // Longest match first so that "ms" is not read as "m" then "s".
            guard let unit = units.filter({ $0.suffix == unitText }).first else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.seconds
        }
        return total
    }

    /// The shortest way to write `seconds` back (`5s`, `1m30s`, `500ms`), for `--help` and logs.
    public static func format(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        var out = ""
        for (suffix, size) in [("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(suffix)"
            rest %= size
        }
        return out
    }
}
