import Foundation

/// Strict base64url (RFC 4648 §5) without padding, as JWS compact serialisation uses it.
enum Base64URL {
    /// The bytes, or nil for anything that is not the one canonical unpadded encoding of some
    /// bytes: a stray `=`, a character outside the alphabet, an impossible length, or unused low
    /// bits set in the last character. The last rule matters: otherwise two different strings
    /// decode to the same signature, and "tampering" with the final character can go unnoticed.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 4 != 1, utf8.allSatisfy(isAlphabet) else { return nil }
        var standard = String(text)
        standard = standard.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { return nil }
        guard encode(data).utf8.elementsEqual(utf8) else { return nil }
        return [UInt8](data)
    }

    static func encode(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
