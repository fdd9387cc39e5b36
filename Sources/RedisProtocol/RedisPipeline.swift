/// Sends commands in one pipelined round trip: the one thing a poll needs from a connection.
/// `RedisClient.RedisConnection` (hiredis) is the real one; tests pass fakes, and a new way of
/// reaching Redis (TLS, a cluster node) is another conformance.
public protocol RedisPipeline {
    /// Sends every command (argv, binary-safe) at once and returns one reply per command, in
    /// order. Throws `RedisError` only for connection-level failures; a failing command yields
    /// `RedisReply.error`.
    func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply]

    /// The same round trip, each reply handed to `body` as it is decoded (with its index), in
    /// order, as a flat `ReplyView`: a connection keeps one reply at a time, with no heap object
    /// per element. A view may be kept, but holding none lets the next reply reuse its storage.
    /// Throws as `pipeline` does; `body` has seen the replies decoded before a failure.
    func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws
}

extension RedisPipeline {
    /// Built from `pipeline(_:)` (fakes): every reply decoded first, then flattened.
    public func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws {
        for (index, reply) in try pipeline(commands).enumerated() { body(index, ReplyView(reply)) }
    }
}
