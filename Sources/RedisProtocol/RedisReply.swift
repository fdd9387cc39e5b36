/// One RESP2 reply, decoded into plain Swift values (no C memory behind it).
public enum RedisReply: Sendable, Equatable {
    /// A bulk string: binary-safe bytes.
    case string([UInt8])
    /// A simple status such as `OK`.
    case status(String)
    /// An error reply for one command; the connection stays usable.
    case error(String)
    case integer(Int64)
    case array([RedisReply])
    /// A null bulk string or null array (`REDIS_REPLY_NIL`): "Redis cannot tell", never zero.
    case null

    /// The bytes of a bulk string or status, else nil.
    public var bytes: [UInt8]? {
        switch self {
        case .string(let b): return b
        case .status(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// The text of a bulk string or status (lossy for non-UTF-8 bytes), else nil.
    public var text: String? {
        switch self {
        case .string(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s): return s
        default: return nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer.
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .string(let b): return Int64(String(decoding: b, as: UTF8.self))
        default: return nil
        }
    }

    public var array: [RedisReply]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool { self == .null }

    public var errorMessage: String? {
        if case .error(let e) = self { return e }
        return nil
    }
}
