/// Appending text to a byte buffer without String: the renderers build bodies of many
/// megabytes, and `[UInt8]` appends of UTF-8 bytes cost a fraction of `String` appends
/// (no grapheme or capacity bookkeeping per append).
/// The size of the pieces large bodies are handed on in as they are written.
let renderChunk = 64 * 1024

extension Array where Element == UInt8 {
    /// Hands the bytes to `flush` and empties the buffer (keeping its capacity) once it holds
    /// at least `minimum`; without a flush the bytes stay (a body written whole).
    mutating func handOn(to flush: (([UInt8]) -> Void)?, atLeast minimum: Int) {
        guard let flush, count >= Swift.max(minimum, 1) else { return }
        flush(self)
        removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(text s: String) {
        var s = s
        s.withUTF8 { append(contentsOf: $0) }
    }

    /// A decimal integer, as `String(v)` writes it.
    mutating func append(decimal v: Int64) {
        var magnitude = v.magnitude
        var digits = 0
        var rest = magnitude
        repeat {
            digits += 1
            rest /= 10
        } while rest > 0
        if v < 0 { append(UInt8(ascii: "-")) }
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var i = count - 1
        repeat {
            self[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            i -= 1
        } while magnitude > 0
    }

    @inline(__always)
    mutating func append(decimal v: Int) { append(decimal: Int64(v)) }
}
