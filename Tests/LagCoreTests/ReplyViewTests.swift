import RedisProtocol
import Testing
@testable import LagCore

/// The flat replies the poll reads (`ReplyBatch`/`ReplyView`) say what `RedisReply` says.
@Suite("Flat replies")
struct ReplyViewTests {
    /// Every accessor of a view against the same accessor of the reply, the whole tree down.
    func expectSame(_ view: ReplyView, _ reply: RedisReply, _ path: String = "root") {
        #expect(view.materialize() == reply, "\(path)")
        #expect(view.isNull == reply.isNull, "\(path)")
        #expect(view.errorMessage == reply.errorMessage, "\(path)")
        #expect(view.bytes == reply.bytes, "\(path)")
        #expect(view.byteSlice.map(Array.init) == reply.bytes, "\(path)")
        #expect(view.text == reply.text, "\(path)")
        #expect(view.int == reply.int, "\(path)")
        #expect(view.isArray == (reply.array != nil), "\(path)")
        #expect(view.count == (reply.array?.count ?? 0), "\(path)")
        if let text = reply.text, text.utf8.allSatisfy({ $0 < 0x80 }) {
            #expect(view.isText(Array(text.utf8)), "\(path)")
            #expect(!view.isText(Array((text + "x").utf8)), "\(path)")
        }
        let items = reply.array ?? []
        #expect(Array(view.elements).count == items.count, "\(path)")
        #expect(view.first?.materialize() == items.first, "\(path)")
        for (i, (child, item)) in zip(view.elements, items).enumerated() { expectSame(child, item, "\(path)[\(i)]") }
    }

    @Test("captured replies read the same flat", arguments: Fixtures.versions)
    func captured(version: String) throws {
        for name in ["xinfo-full-busy", "xinfo-full-null-lag", "xinfo-full-empty", "xinfo-full-tail",
                     "xrevrange-busy", "xrange-null-lag-page1", "error-wrongtype", "time"] {
            let reply = try Fixtures.reply(version, name)
            expectSame(ReplyView(reply), reply, name)
        }
    }

    @Test("every RESP2 type, nested and empty arrays, odd bytes")
    func types() {
        let reply = RedisReply.array([
            .status("OK"), .error("ERR x"), .integer(-5), .integer(.min), .string([97, 13, 10]), .null,
            .array([]), .array([.array([.array([.integer(1), .null]), .array([])]), .string([])]),
            .string([0xFF, 0xFE]), .status("caf\u{E9}"), .string(b("-12")), .string(b("+7")), .string(b("9223372036854775807")),
            .string(b("9223372036854775808")), .string(b("-9223372036854775808")), .string(b("1.5")), .string(b("-")),
        ])
        expectSame(ReplyView(reply), reply)
        for leaf in [RedisReply.null, .integer(3), .string([]), .array([])] { expectSame(ReplyView(leaf), leaf) }
    }

    @Test("integers in bulk strings parse as the text does", arguments: [
        "", "-", "+", "0", "-0", "+0", "007", "-12", "+12", "999999999999999999", "-999999999999999999",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "12345678901234567890123", " 1", "1 ", "1-", "١", "1e3", "0x10",
    ])
    func decimals(text: String) {
        #expect(ReplyView(.string(b(text))).int == Int64(text), "\(text)")
    }

    @Test("stream IDs from bytes parse as the text does", arguments: [
        "1764396000000-5", "0-0", "123", "18446744073709551615-18446744073709551615", "1-18446744073709551615",
        "", "-", "1-", "-1", "a-1", "1-b", "1-2-3", " 1-0", "1-0 ", "18446744073709551616-0", "1-18446744073709551616",
        "1.5-0", "+1-0", "1-+2", "-0", "1--0", "0000000000000000000001-1", "9999999999999999999-9999999999999999999",
        "10000000000000000000-0", "1-\u{0661}",
    ])
    func streamIDs(text: String) {
        #expect(StreamID(ascii: b(text), 0..<text.utf8.count) == StreamID(text), "\(text)")
        #expect(StreamID(ascii: b("x" + text + "y"), 1..<1 + text.utf8.count) == StreamID(text), "\(text)")
        #expect(StreamID(bytes: b(text)) == StreamID(text), "\(text)")
    }

    @Test("a status reads as text: its bytes are what its text says")
    func statusBytes() {
        // A status is decoded as text (as `RedisReply.status` holds it), so invalid UTF-8 in it
        // reads as U+FFFD in bytes too.
        var batch = ReplyBatch()
        batch.assign(nodes: [ReplyNode(kind: .status, count: 2, value: 0)], bytes: [0x31, 0xFF])
        #expect(batch.root.bytes == Array("1\u{FFFD}".utf8))
        #expect(batch.root.text == "1\u{FFFD}")
        #expect(batch.root.materialize() == .status("1\u{FFFD}"))
    }

    @Test("entryRange: count, ends and split, every ID checked")
    func entryRanges() throws {
        let entries = FakeRedis.entries([id(3), id(4), id(9)])
        #expect(try entryRange(of: ReplyView(entries)) == EntryRange(count: 3, first: id(3), last: id(9), atOrBelow: 3, upToEnd: 3))
        // Split at a boundary: the entries at or below it, and the first above it.
        #expect(try entryRange(of: ReplyView(entries), splitAt: id(4))
            == EntryRange(count: 3, first: id(3), last: id(9), atOrBelow: 2, firstAbove: id(9), upToEnd: 3))
        #expect(try entryRange(of: ReplyView(entries), splitAt: id(2))
            == EntryRange(count: 3, first: id(3), last: id(9), atOrBelow: 0, firstAbove: id(3), upToEnd: 3))
        // With an end: the entries at or below it (those a poll's first round trip saw).
        #expect(try entryRange(of: ReplyView(entries), end: id(4)).upToEnd == 2)
        #expect(try entryRange(of: ReplyView(.array([]))) == EntryRange())
        #expect(throws: ReplyError(.malformed, "range entry without an ID")) {
            try entryRange(of: ReplyView(.array([.array([.string(b(id(1).description)), .array([])]), .array([.string(b("x")), .array([])])])))
        }
        #expect(throws: ReplyError(.noPermission, "NOPERM no")) { try entryRange(of: ReplyView(.error("NOPERM no"))) }
    }

    /// The default `pipeline(_:each:)` of a fake: the replies of `pipeline(_:)`, in order.
    @Test("pipeline(_:each:) built from pipeline(_:)")
    func defaultEach() throws {
        let redis = FakeRedis(timeMs: 1_764_396_000_500)
        var seen: [(Int, RedisReply)] = []
        try redis.pipeline([[b("TIME")], [b("XINFO"), b("STREAM"), b("nope"), b("FULL"), b("COUNT"), b("1")]]) {
            seen.append(($0, $1.materialize()))
        }
        #expect(seen.map(\.0) == [0, 1])
        #expect(seen.map(\.1) == [redis.time, FakeRedis.noSuchKey])
    }
}
