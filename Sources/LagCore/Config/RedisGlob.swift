/// Redis' glob (`stringmatchlen` in util.c, what `SCAN … MATCH` and `KEYS` use), on bytes:
/// `*` any run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` a class, `\x` the byte x itself.
public enum RedisGlob {
    public static func matches(_ pattern: some Collection<UInt8>, _ key: some Collection<UInt8>) -> Bool {
        match(Array(pattern)[...], Array(key)[...])
    }

    private static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        var p = p
        var s = s
        while let c = p.first {
            switch c {
            case UInt8(ascii: "*"):
                while p.first == UInt8(ascii: "*") { p = p.dropFirst() }
                if p.isEmpty { return true }
                var rest = s
                while true {
                    if match(p, rest) { return true }
                    if rest.isEmpty { return false }
                    rest = rest.dropFirst()
                }
            case UInt8(ascii: "?"):
                guard !s.isEmpty else { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            case UInt8(ascii: "["):
                guard let byte = s.first else { return false }
                p = p.dropFirst()
                let negate = p.first == UInt8(ascii: "^")
                if negate { p = p.dropFirst() }
                var matched = false
                while let d = p.first, d != UInt8(ascii: "]") {
                    if d == UInt8(ascii: "\\"), p.count >= 2 {
                        p = p.dropFirst()
                        if p.first == byte { matched = true }
                        p = p.dropFirst()
                    } else if p.count >= 3, p[p.startIndex + 1] == UInt8(ascii: "-") {
                        var lo = d, hi = p[p.startIndex + 2]
                        if lo > hi { swap(&lo, &hi) }
                        if (lo...hi).contains(byte) { matched = true }
                        p = p.dropFirst(3)
                    } else {
                        if d == byte { matched = true }
                        p = p.dropFirst()
                    }
                }
                if !p.isEmpty { p = p.dropFirst() }  // the ']' (an unclosed class ends the pattern)
                if matched == negate { return false }
                s = s.dropFirst()
            case UInt8(ascii: "\\") where p.count >= 2:
                p = p.dropFirst()
                guard s.first == p.first else { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            default:
                guard s.first == c else { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            }
        }
        return s.isEmpty
    }
}
