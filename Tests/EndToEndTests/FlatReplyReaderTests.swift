import RedisProtocol
import Testing
@testable import RedisClient

/// hiredis' reader with the flat object functions, fed raw RESP2: every type, nesting, replies
/// cut anywhere between feeds, buffers that must grow, and what hiredis refuses.
@Suite("Flat reply reader")
struct FlatReplyReaderTests {
    /// Feeds `raw` in pieces of `piece` bytes and collects every whole reply.
    func read(_ raw: [UInt8], piece: Int) throws -> [RedisReply] {
        let reader = try #require(FlatReplyReader())
        var batch = ReplyBatch()
        var replies: [RedisReply] = []
        var offset = 0
        while offset < raw.count {
            let end = min(offset + piece, raw.count)
            let fed = raw[offset..<end].withUnsafeBytes { reader.feed($0) }
            #expect(fed)
            offset = end
            while try reader.next(into: &batch) { replies.append(batch.root.materialize()) }
        }
        return replies
    }

    static func bulk(_ s: [UInt8]) -> [UInt8] { Array("$\(s.count)\r\n".utf8) + s + Array("\r\n".utf8) }

    @Test("every RESP2 type, nested arrays, nulls, in any cut", arguments: [1, 2, 3, 7, 64, 4096])
    func types(piece: Int) throws {
        var raw = Array("*9\r\n+OK\r\n-ERR x y\r\n:-5\r\n:9223372036854775807\r\n$3\r\na\r\n\r\n$-1\r\n*-1\r\n*0\r\n".utf8)
        raw += Array("*2\r\n*2\r\n*1\r\n*1\r\n$0\r\n\r\n*0\r\n:1\r\n".utf8)
        raw += Array("+PONG\r\n:42\r\n".utf8)
        let expected: [RedisReply] = [
            .array([.status("OK"), .error("ERR x y"), .integer(-5), .integer(.max), .string([97, 13, 10]), .null, .null,
                    .array([]), .array([.array([.array([.array([.string([])])]), .array([])]), .integer(1)])]),
            .status("PONG"), .integer(42),
        ]
        #expect(try read(raw, piece: piece) == expected)
    }

    @Test("large replies: the node and byte buffers grow")
    func large() throws {
        // 3000 entries shaped like XRANGE's, and 40 KB strings: past the first node and byte buffers.
        let entries = (0..<3000).map { i in
            RedisReply.array([.string(Array("1764396000\(i)-0".utf8)), .array([.string([110]), .string(Array(String(i).utf8))])])
        }
        let big = [UInt8](repeating: 120, count: 40_000)
        var raw = Array("*3000\r\n".utf8)
        for i in 0..<3000 {
            raw += Array("*2\r\n".utf8) + Self.bulk(Array("1764396000\(i)-0".utf8)) + Array("*2\r\n".utf8)
            raw += Self.bulk([110]) + Self.bulk(Array(String(i).utf8))
        }
        raw += Self.bulk(big) + Array("*2\r\n".utf8) + Self.bulk(big) + Array(":7\r\n".utf8)
        for piece in [4096, 100_000] {
            #expect(try read(raw, piece: piece) == [.array(entries), .string(big), .array([.string(big), .integer(7)])])
        }
    }

    @Test("what hiredis refuses is a protocol error")
    func refused() throws {
        let error = #expect(throws: RedisError.self) { try read(Array("!oops\r\n".utf8), piece: 64) }
        #expect(error?.kind == .proto)
        let deep = Array(String(repeating: "*1\r\n", count: 9).utf8) + Array(":1\r\n".utf8)
        let tooDeep = #expect(throws: RedisError.self) { try read(deep, piece: 64) }
        #expect(tooDeep?.kind == .proto)
    }
}
