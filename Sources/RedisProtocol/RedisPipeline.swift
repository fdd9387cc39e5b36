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

    /// Two batches, the second decided by the first's replies: `commands` are sent, and each
    /// reply goes to `body` (as in `pipeline(_:each:)`) with a queue for the commands that
    /// depend on it. A connection may send queued commands while later replies of the first
    /// batch are still arriving, so Redis works on them meanwhile; their replies go to `then`,
    /// in queue order, each once the reply it follows up has gone to `body` (a connection may
    /// hand some on before later replies of the first batch). Throws as `pipeline` does.
    ///
    /// `commands` may be a lazy collection: a connection makes each command as it sends it, so
    /// a first batch of 200,000 commands is never held whole (16 MB of argv arrays, massif).
    func pipeline<Commands: RandomAccessCollection<[[UInt8]]>>(
        _ commands: Commands, each body: (Int, ReplyView, inout FollowUps) -> Void, then: (Int, ReplyView) -> Void
    ) throws where Commands.Index == Int
}

extension RedisPipeline {
    /// Built from `pipeline(_:)` (fakes): every reply decoded first, then flattened.
    public func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws {
        for (index, reply) in try pipeline(commands).enumerated() { body(index, ReplyView(reply)) }
    }
}

/// Commands queued while a pipeline's replies are read, to go out as the next batch.
public struct FollowUps {
    public private(set) var commands: [[[UInt8]]] = []
    public init() {}
    public mutating func append(_ argv: [[UInt8]]) { commands.append(argv) }
    public var count: Int { commands.count }
}

extension RedisPipeline {
    /// The two batches one after the other (fakes): the overlap only changes timing.
    public func pipeline<Commands: RandomAccessCollection<[[UInt8]]>>(
        _ commands: Commands, each body: (Int, ReplyView, inout FollowUps) -> Void, then: (Int, ReplyView) -> Void
    ) throws where Commands.Index == Int {
        var followUps = FollowUps()
        try pipeline(Array(commands)) { index, reply in body(index, reply, &followUps) }
        if followUps.count > 0 { try pipeline(followUps.commands, each: then) }
    }
}
