/// The shape of a bcrypt hash as `basic_auth_users` stores it: `$2a$`, `$2b$` or `$2y$`, a
/// two-digit cost from 04 to 31, `$`, then 53 characters of bcrypt's base64 (salt and digest).
/// Checked at load so that a plain-text password pasted into the config is refused, not
/// silently never matching.
enum BcryptHash {
    /// The highest cost accepted in `basic_auth_users`. Each step doubles the work of one
    /// check: measured on the 2-core test machine, cost 10 takes 0.05 s, 12 0.2 s, 13 0.4 s and
    /// 14 0.8 s of one core. Checks run one at a time, so the cost bounds how many
    /// a second the exporter can do (5 at 12) and how long a scraper's first check may wait
    /// behind others; above 12 a handful of queued attempts would outlast a scrape timeout.
    /// A correct password is verified once and then remembered, so a high cost buys nothing
    /// for scrapes and only helps an attacker stall the verifier.
    static let maximumCost = 12

    /// The cost factor of a well-formed hash (`$2y$12$...` is 12).
    static func cost(_ hash: String) -> Int? {
        guard isWellFormed(hash) else { return nil }
        return Int(String(decoding: Array(hash.utf8)[4...5], as: UTF8.self))
    }

    static func isWellFormed(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60,
            bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        return bytes[7...].allSatisfy(isBcryptBase64)
    }

    private static func isBcryptBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
