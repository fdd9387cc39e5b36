public import RedisProtocol

/// What Sentinel and `ROLE` replies say, read without I/O.
public enum SentinelReplies {
    /// The master's address from `SENTINEL get-master-addr-by-name`: `[host, port]`, or nil
    /// when the sentinel does not know the name (a null reply).
    public static func masterAddress(_ reply: RedisReply) throws(RedisError) -> (host: String, port: Int)? {
        if let message = reply.errorMessage { throw RedisError(message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") ? .auth : .sentinel, message) }
        if reply.isNull { return nil }
        guard let items = reply.array, items.count == 2, let host = items[0].text, !host.isEmpty,
              let port = items[1].int, (1...65535).contains(port) else {
            throw RedisError(.sentinel, "get-master-addr-by-name gave no host and port")
        }
        return (host, Int(port))
    }

    /// The first element of `ROLE`: `master`, `slave` or `sentinel`.
    public static func role(_ reply: RedisReply) throws(RedisError) -> String {
        if let message = reply.errorMessage { throw RedisError(.sentinel, "cannot check the server's role: \(message)") }
        guard let role = reply.array?.first?.text else { throw RedisError(.sentinel, "ROLE gave no role") }
        return role
    }
}
