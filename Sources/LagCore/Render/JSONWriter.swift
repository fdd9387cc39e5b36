/// A tiny streaming JSON writer: keys in the order written (the seed's order), numbers in their
/// shortest form, strings escaped per RFC 8259.
struct JSONWriter {
    private(set) var out = ""
    private var needsComma = [false]

    init(capacity: Int = 1024) { out.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { out += "," }
        needsComma[needsComma.count - 1] = true
    }

    mutating func key(_ k: String) {
        separate()
        Self.appendString(k, to: &out)
        out += ":"
        needsComma[needsComma.count - 1] = false
    }

    mutating func beginObject() { separate(); out += "{"; needsComma.append(false) }
    mutating func endObject() { needsComma.removeLast(); out += "}" }
    mutating func beginArray() { separate(); out += "["; needsComma.append(false) }
    mutating func endArray() { needsComma.removeLast(); out += "]" }

    mutating func string(_ s: String?) {
        separate()
        if let s { Self.appendString(s, to: &out) } else { out += "null" }
    }
    mutating func int(_ v: Int?) { separate(); out += v.map(String.init) ?? "null" }
    mutating func bool(_ v: Bool) { separate(); out += v ? "true" : "false" }
    /// Seconds and other fractions, rounded to the millisecond.
    mutating func double(_ v: Double?) {
        separate()
        guard let v, v.isFinite else { out += "null"; return }
        let r = (v * 1000).rounded() / 1000
        out += r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : "\(r)"
    }

    mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    mutating func field(_ k: String, _ v: Int?) { key(k); int(v) }
    mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }
    mutating func field(_ k: String, seconds v: Double?) { key(k); double(v) }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T06:00:00.123Z`.
    static func timestamp(_ epochSeconds: Double) -> String {
        let totalMs = Int64((epochSeconds * 1000).rounded(.down))
        let ms = Int(totalMs % 1000)
        var secs = totalMs / 1000
        let days = Int(secs / 86_400)
        secs %= 86_400
        // Howard Hinnant's days-from-civil inverse.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(Int(secs / 3600), 2)):\(pad(Int(secs % 3600 / 60), 2)):\(pad(Int(secs % 60), 2)).\(pad(ms, 3))Z"
    }
}
