import RedisClient
import RedisProtocol
import Testing

/// A connection sends a long first batch in pieces kept ahead of the replies it reads, and
/// follow-ups in pieces of their own between them: every reply must still reach the callback
/// of the command it answers, in order, against a real redis-server.
@Suite("Pipelined batches on a real connection")
struct PipelineTests {
    static func argv(_ words: String...) -> [[UInt8]] { words.map { Array($0.utf8) } }

    /// 5,000 `ECHO`s (several pieces), a follow-up `ECHO` for every third reply (more than one
    /// piece of follow-ups, queued while first-batch pieces are still going out), and a counter
    /// that Redis increments in command order: each reply names the command it answers.
    /// Through the protocol, as a poll calls it (`any RedisPipeline`), with the commands made
    /// lazily as a poll makes them.
    @Test(arguments: RedisVersion.all)
    func everyReplyReachesTheCommandItAnswers(version: RedisVersion) throws {
        let redis = try RedisServer(version)
        defer { redis.stop() }
        let conn = try redis.connect()
        let pipeline: any RedisPipeline = conn
        let total = 5_000
        let first = (0..<total).lazy.map { Self.argv("ECHO", "first-\($0)") }
        var firstSeen: [String] = []
        var followUpSeen: [String] = []
        var queuedFor: [Int] = []
        /// For each follow-up reply: how many first-batch replies had been handed on before it.
        var firstBefore: [Int] = []
        try pipeline.pipeline(first, each: { index, reply, followUps in
            firstSeen.append(reply.materialize().text ?? "?\(index)")
            if index % 3 == 0 {
                followUps.append(Self.argv("ECHO", "follow-\(index)"))
                queuedFor.append(index)
            }
        }, then: { index, reply in
            followUpSeen.append(reply.materialize().text ?? "?\(index)")
            firstBefore.append(firstSeen.count)
        })
        #expect(firstSeen == (0..<total).map { "first-\($0)" })
        #expect(followUpSeen == queuedFor.map { "follow-\($0)" })
        // A follow-up's reply comes after the reply that queued it.
        for (k, seen) in firstBefore.enumerated() { #expect(seen > queuedFor[k], "follow-up \(k)") }
        // Follow-ups went out while the first batch was still read (the overlap this is for).
        #expect(firstBefore.first.map { $0 < total } == true, "first follow-up reply after \(firstBefore.first ?? -1)")
        // The connection is in step afterwards: a plain pipeline reads its own replies.
        #expect(try conn.pipeline([Self.argv("ECHO", "after")]).map(\.text) == ["after"])
        #expect(conn.isBroken == false)
    }

    /// A batch of no commands sends nothing and reads nothing; the connection stays usable.
    @Test func anEmptyBatch() throws {
        let redis = try RedisServer(RedisVersion.all[0])
        defer { redis.stop() }
        let conn = try redis.connect()
        var calls = 0
        try conn.pipeline([], each: { _, _, _ in calls += 1 }, then: { _, _ in calls += 1 })
        #expect(calls == 0)
        #expect(try conn.pipeline([Self.argv("PING")]).map(\.text) == ["PONG"])
    }
}
