/// Sends commands in one pipelined round trip: the one thing a poll needs from a connection.
/// `RedisClient.RedisConnection` (hiredis) is the real one; tests pass fakes, and a new way of
/// reaching Redis (TLS, a cluster node) is another conformance.
public protocol RedisPipeline {
    /// Sends every command (argv, binary-safe) at once and returns one reply per command, in
    /// order. Throws `RedisError` only for connection-level failures; a failing command yields
    /// `RedisReply.error`.
    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply]
}
