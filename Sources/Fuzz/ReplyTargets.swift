import LagCore
import RedisClient
import RedisProtocol

/// The reply path: RESP bytes through hiredis' reader into flat replies, then every parser of
/// replies (XINFO STREAM FULL, entry ranges, TIME-like pairs, INFO, Sentinel, Cluster maps and
/// redirections). A byte stream hostile or broken anywhere may cost a poll, never the process.
enum ReplyTargets {
    /// First byte: the feed size (0 feeds everything at once, else 1 to 255 bytes per piece,
    /// as from successive `recv`s); the rest is what the server sent.
    static func resp(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let bytes = Array(data.dropFirst())
        let chunk = first == 0 ? max(bytes.count, 1) : Int(first)
        var tree: RedisReply?
        let failure = RESPDecoder.decode(bytes, chunk: chunk) { view in
            walk(view, depth: 0)
            parse(view)
            tree = view.materialize()
        }
        if let failure { _ = failure.description }
        // The tree must read back as the same flat reply.
        if let tree {
            let again = ReplyBatch(tree).root.materialize()
            precondition(again == tree, "a reply does not survive flattening")
        }
    }

    /// Reads every element as each accessor would.
    static func walk(_ view: ReplyView, depth: Int) {
        _ = view.text
        _ = view.bytes
        _ = view.byteSlice
        _ = view.int
        _ = view.errorMessage
        _ = view.isNull
        for element in view.elements { walk(element, depth: depth + 1) }
    }

    static func parse(_ view: ReplyView) {
        if let info = try? StreamInfo(fullReply: view) { _ = info.groups.count }
        _ = try? entryRange(of: view)
        _ = try? entryRange(of: view, splitAt: StreamID(ms: 1_764_396_000_005, seq: 0))
        let reply = view.materialize()
        _ = try? StreamInfo(fullReply: reply)
        _ = try? entryIDs(of: reply)
        _ = try? SentinelReplies.masterAddress(reply)
        _ = try? SentinelReplies.role(reply)
        _ = try? ClusterMap.fromShards(reply, askedHost: "127.0.0.1", tls: false)
        _ = try? ClusterMap.fromSlots(reply, askedHost: "127.0.0.1")
        if let text = view.text {
            _ = ServerVersion(info: text)
        }
        if let message = view.errorMessage {
            _ = ReplyError.from(redisError: message)
            _ = ClusterRedirect(message, askedHost: "127.0.0.1")
        }
    }
}
