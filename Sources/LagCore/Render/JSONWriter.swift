/// A tiny streaming JSON writer: keys in the order written (the seed's order), numbers in their
/// shortest form, strings escaped per RFC 8259.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Per open object or array: whether the next value needs a comma before it.
    private var needsComma = [false]

    /// When set, full chunks of `bytes` are handed here at `flushIfFull()` and dropped.
    private let flush: (([UInt8]) -> Void)?

    init(capacity: Int = 1024, flush: (([UInt8]) -> Void)? = nil) {
        self.flush = flush
        bytes.reserveCapacity(flush == nil ? capacity : renderChunk + 4096)
    }

    /// Hands a full chunk on (with a flush only).
    mutating func flushIfFull() { bytes.handOn(to: flush, atLeast: renderChunk) }

    /// Hands the rest on (with a flush only).
    mutating func finish() { bytes.handOn(to: flush, atLeast: 1) }

    /// The document as text.
    var out: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    mutating func key(_ k: String) {
        separate()
        Self.appendString(k, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    mutating func string(_ s: String?) {
        separate()
        if let s { Self.appendString(s, to: &bytes) } else { bytes.append("null") }
    }
    mutating func int(_ v: Int?) {
        separate()
        if let v { bytes.append(decimal: v) } else { bytes.append("null") }
    }
    mutating func bool(_ v: Bool) { separate(); bytes.append(v ? "true" : "false") }
    /// Seconds and other fractions, rounded to the millisecond.
    mutating func double(_ v: Double?) {
        separate()
        guard let v, v.isFinite else { bytes.append("null"); return }
        let r = Self.rounded(v)
        if let whole = Self.whole(r) { bytes.append(decimal: whole) } else { bytes.append(text: r.description) }
    }

    /// A finite figure as the JSON (and the check command's table) gives it: at most three
    /// decimals, none when whole.
    static func number(_ v: Double) -> String {
        let r = rounded(v)
        return whole(r).map(String.init) ?? r.description
    }

    private static func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
    private static func whole(_ r: Double) -> Int64? { r == r.rounded() && abs(r) < 1e15 ? Int64(r) : nil }

    mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    mutating func field(_ k: String, _ v: Int?) { key(k); int(v) }
    mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }
    mutating func field(_ k: String, seconds v: Double?) { key(k); double(v) }
    mutating func field(_ k: String, rate v: Double?) { key(k); double(v) }

    /// `s` quoted and escaped per RFC 8259 (and U+2028/U+2029, for JavaScript), byte by byte:
    /// only ASCII controls, `"` and `\\` and those two separators are ever rewritten.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            var i = 0
            let n = utf8.count
            while i < n {
                let b = utf8[i]
                var escape: StaticString?
                var width = 1
                switch b {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "\n"): escape = "\\n"
                case UInt8(ascii: "\r"): escape = "\\r"
                case UInt8(ascii: "\t"): escape = "\\t"
                case 0xE2 where i + 2 < n && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9):
                    escape = utf8[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    width = 3
                default:
                    if b < 0x20 {
                        out.append(contentsOf: utf8[start..<i])
                        let hex: [UInt8] = Array("0123456789abcdef".utf8)
                        out.append("\\u00")
                        out.append(hex[Int(b >> 4)])
                        out.append(hex[Int(b & 0xF)])
                        i += 1
                        start = i
                        continue
                    }
                }
                if let escape {
                    out.append(contentsOf: utf8[start..<i])
                    out.append(escape)
                    i += width
                    start = i
                } else {
                    i += 1
                }
            }
            out.append(contentsOf: utf8[start..<n])
        }
        out.append(UInt8(ascii: "\""))
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
