import Foundation

/// RFC 7515 §5.2 and RFC 7519 §4: a JOSE header or claims set with a member name twice must be
/// refused (or read with the last one winning). Foundation's JSONDecoder keeps the first, so a
/// token whose payload says `"iss":"ours", ..., "iss":"theirs"` passed as "ours" while a
/// last-wins reader (most JWT libraries) sees "theirs". Found by the jwt fuzz target.
enum UniqueMembers {
    /// True when `json` is an object whose top-level member names are all different (after
    /// unescaping: `"\u0069ss"` is `"iss"`). False for a repeated name or unreadable JSON.
    static func check(_ json: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return false }
        return topLevelMembers(json) == object.count
    }

    /// The number of members of the top-level object: its commas outside strings and nested
    /// values, plus one unless it is empty. The text is already known to be valid JSON.
    private static func topLevelMembers(_ json: [UInt8]) -> Int {
        var depth = 0, commas = 0, inString = false, escaped = false, empty = true
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1 { empty = false }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ",") where depth == 1: commas += 1
            default: break
            }
        }
        return empty ? 0 : commas + 1
    }
}
