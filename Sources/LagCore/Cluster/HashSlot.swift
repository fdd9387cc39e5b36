/// Redis Cluster's key-to-slot function (cluster specification, "Keys distribution model"):
/// CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key, or of its hash tag, modulo
/// 16384. The hash tag is what lies between the first `{` and the first `}` after it, when that
/// is not empty; otherwise the whole key is hashed.
public enum HashSlot {
    public static let count = 16384

    public static func of(_ key: some Collection<UInt8>) -> Int {
        let bytes = Array(key)
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            return Int(crc16(bytes[(open + 1)..<close]) & 0x3FFF)
        }
        return Int(crc16(bytes) & 0x3FFF)
    }

    /// CRC16-CCITT (XMODEM), table-driven as in Redis' `crc16.c`.
    public static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte)) & 0xFF]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { n in
        var crc = UInt16(n) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
