import Foundation
import RedisProtocol
import Testing
@testable import LagCore

/// Entry `n` of the captured scenarios: every fixture stream uses IDs `1764396000000+n-0`.
func id(_ n: UInt64, _ seq: UInt64 = 0) -> StreamID { StreamID(ms: 1_764_396_000_000 + n, seq: seq) }

/// `XINFO STREAM key FULL COUNT 1` replies captured from real servers (Golden/replies), one suite
/// for every version: what differs between versions is data, not code.
@Suite("XINFO STREAM FULL replies")
struct ReplyParsingTests {
    typealias Group = StreamInfo.GroupInfo
    typealias Consumer = StreamInfo.ConsumerInfo
    typealias Pending = StreamInfo.PendingEntry

    @Test("the RESP2 fixtures decode without loss", arguments: Fixtures.versions)
    func fixturesRoundTrip(version: String) throws {
        let names = ["xinfo-full-busy", "xinfo-full-null-lag", "xinfo-full-empty", "xinfo-full-tail",
                     "xrevrange-busy", "xrange-null-lag-page1", "error-wrongtype", "time"]
        for name in names {
            let raw = try Fixtures.rawReply(version, name)
            #expect(RESP.encode(try RESP.decode(raw)) == raw, "\(name)")
        }
    }

    @Test("decoder: every RESP2 type, nulls as .null")
    func decoder() throws {
        let raw = b("*7\r\n+OK\r\n-ERR x\r\n:-5\r\n$3\r\na\r\n\r\n$-1\r\n*-1\r\n*0\r\n")
        #expect(try RESP.decode(raw) == .array([
            .status("OK"), .error("ERR x"), .integer(-5), .string([97, 13, 10]), .null, .null, .array([]),
        ]))
        #expect(throws: RESP.DecodeError.self) { try RESP.decode(b(":1\r\n:2\r\n")) }
    }

    // MARK: busy: one group, two consumers, 4 pending, 5 delivered of 10

    static let busy: [String: StreamInfo] = [
        "6.2.5": StreamInfo(
            length: 10, lastGeneratedID: id(10), entriesAdded: nil, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(5), entriesRead: nil, lag: nil, pelCount: 4,
                oldestPending: Pending(id: id(2), deliveryTimeMs: 1_795_938_993_402, deliveryCount: 2),
                consumers: [
                    Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_993_402, activeTimeMs: nil, pelCount: 2),
                    Consumer(name: b("instance-2"), seenTimeMs: 1_795_938_993_422, activeTimeMs: nil, pelCount: 2),
                ])]),
        "7.0": StreamInfo(
            length: 10, lastGeneratedID: id(10), entriesAdded: 10, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(5), entriesRead: 5, lag: 5, pelCount: 4,
                oldestPending: Pending(id: id(2), deliveryTimeMs: 1_795_938_995_171, deliveryCount: 2),
                consumers: [
                    Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_995_171, activeTimeMs: nil, pelCount: 2),
                    Consumer(name: b("instance-2"), seenTimeMs: 1_795_938_995_191, activeTimeMs: nil, pelCount: 2),
                ])],
            maxDeletedEntryID: .zero),
        "8.2.3": StreamInfo(
            length: 10, lastGeneratedID: id(10), entriesAdded: 10, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(5), entriesRead: 5, lag: 5, pelCount: 4,
                oldestPending: Pending(id: id(2), deliveryTimeMs: 1_795_938_997_188, deliveryCount: 2),
                consumers: [
                    Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_997_188,
                             activeTimeMs: 1_795_938_997_188, pelCount: 2),
                    // Its last read returned nothing: seen moved on, active did not.
                    Consumer(name: b("instance-2"), seenTimeMs: 1_795_938_997_208,
                             activeTimeMs: 1_795_938_997_168, pelCount: 2),
                ])],
            maxDeletedEntryID: .zero),
    ]

    @Test("busy stream", arguments: Fixtures.versions)
    func busyStream(version: String) throws {
        let info = try StreamInfo(fullReply: Fixtures.reply(version, "xinfo-full-busy"))
        #expect(info == Self.busy[version])
    }

    // MARK: null lag: entry 6 deleted inside the undelivered range 4...10

    static let nullLag: [String: StreamInfo] = [
        "6.2.5": StreamInfo(
            length: 9, lastGeneratedID: id(10), entriesAdded: nil, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(3), entriesRead: nil, lag: nil, pelCount: 3,
                oldestPending: Pending(id: id(1), deliveryTimeMs: 1_795_938_993_444, deliveryCount: 1),
                consumers: [Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_993_444, activeTimeMs: nil, pelCount: 3)])]),
        "7.0": StreamInfo(
            length: 9, lastGeneratedID: id(10), entriesAdded: 10, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(3), entriesRead: 3, lag: nil, pelCount: 3,
                oldestPending: Pending(id: id(1), deliveryTimeMs: 1_795_938_995_212, deliveryCount: 1),
                consumers: [Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_995_212, activeTimeMs: nil, pelCount: 3)])],
            maxDeletedEntryID: id(6)),
        "8.2.3": StreamInfo(
            length: 9, lastGeneratedID: id(10), entriesAdded: 10, firstEntryID: id(1),
            groups: [Group(
                name: b("signalr-consumers"), lastDeliveredID: id(3), entriesRead: 3, lag: nil, pelCount: 3,
                oldestPending: Pending(id: id(1), deliveryTimeMs: 1_795_938_997_229, deliveryCount: 1),
                consumers: [Consumer(name: b("instance-1"), seenTimeMs: 1_795_938_997_229,
                                     activeTimeMs: 1_795_938_997_229, pelCount: 3)])],
            maxDeletedEntryID: id(6)),
    ]

    @Test("lag that Redis reports as null stays nil, never 0", arguments: Fixtures.versions)
    func nullLag(version: String) throws {
        let reply = try Fixtures.reply(version, "xinfo-full-null-lag")
        if version != "6.2.5" {
            // The fixture really carries a null where the lag goes (6.2 has no such field).
            let group = try #require(StreamInfo.map(reply, "stream")["groups"]?.array?.first)
            #expect(try StreamInfo.map(group, "group")["lag"] == .null)
        }
        let info = try StreamInfo(fullReply: reply)
        #expect(info == Self.nullLag[version])
        #expect(info.groups.first?.lag == nil)
    }

    // MARK: empty stream with a group created at $ (MKSTREAM)

    @Test("empty stream with a group", arguments: Fixtures.versions)
    func emptyStream(version: String) throws {
        let info = try StreamInfo(fullReply: Fixtures.reply(version, "xinfo-full-empty"))
        let v62 = version == "6.2.5"
        #expect(info == StreamInfo(
            length: 0, lastGeneratedID: .zero, entriesAdded: v62 ? nil : 0, firstEntryID: nil,
            groups: [Group(name: b("signalr-consumers"), lastDeliveredID: .zero, entriesRead: nil,
                           lag: v62 ? nil : 0, pelCount: 0, oldestPending: nil, consumers: [])],
            maxDeletedEntryID: v62 ? nil : .zero))
    }

    // MARK: a group at $ with a consumer that never read, and a group at 0

    @Test("group created at $ and a group that has read nothing", arguments: Fixtures.versions)
    func tailGroups(version: String) throws {
        let info = try StreamInfo(fullReply: Fixtures.reply(version, "xinfo-full-tail"))
        let v62 = version == "6.2.5"
        let seen: Int64 = ["6.2.5": 1_795_938_993_465, "7.0": 1_795_938_995_233, "8.2.3": 1_795_938_997_250][version]!
        #expect(info == StreamInfo(
            length: 5, lastGeneratedID: id(5), entriesAdded: v62 ? nil : 5, firstEntryID: id(1),
            groups: [
                Group(name: b("audit"), lastDeliveredID: .zero, entriesRead: nil, lag: v62 ? nil : 5,
                      pelCount: 0, oldestPending: nil, consumers: []),
                // 8.2 reports active-time -1 for a consumer that never read: no time, not 1969.
                Group(name: b("signalr-consumers"), lastDeliveredID: id(5), entriesRead: nil, lag: v62 ? nil : 0,
                      pelCount: 0, oldestPending: nil,
                      consumers: [Consumer(name: b("idle-1"), seenTimeMs: seen, activeTimeMs: nil, pelCount: 0)]),
            ],
            maxDeletedEntryID: v62 ? nil : .zero))
    }

    @Test("the 8.2 fixture really says active-time -1 for the consumer that never read")
    func activeTimeMinusOne() throws {
        let stream = try StreamInfo.map(Fixtures.reply("8.2.3", "xinfo-full-tail"), "stream")
        let group = try StreamInfo.map(try #require(stream["groups"]?.array?.last), "group")
        let consumer = try StreamInfo.map(try #require(group["consumers"]?.array?.first), "consumer")
        #expect(consumer["active-time"] == .integer(-1))
    }

    // MARK: errors, worded as Redis words them

    @Test("XINFO on a key of another type, on a missing key", arguments: Fixtures.versions)
    func xinfoErrors(version: String) throws {
        let wrongType = try Fixtures.errorMessage(version, "error-wrongtype")
        #expect(wrongType == "WRONGTYPE Operation against a key holding the wrong kind of value")
        #expect(throws: ReplyError(.wrongType, wrongType)) {
            try StreamInfo(fullReply: Fixtures.reply(version, "error-wrongtype"))
        }
        let missing = try Fixtures.errorMessage(version, "error-no-such-key")
        #expect(missing == "ERR no such key")
        #expect(throws: ReplyError(.noSuchKey, missing)) {
            try StreamInfo(fullReply: Fixtures.reply(version, "error-no-such-key"))
        }
    }

    @Test("ReplyError.from classifies Redis' own messages", arguments: Fixtures.versions)
    func classify(version: String) throws {
        for (name, kind) in [("error-wrongtype", ReplyError.Kind.wrongType), ("error-no-such-key", .noSuchKey),
                             ("error-nogroup", .noSuchGroup), ("error-nogroup-xreadgroup", .noSuchGroup),
                             ("xrevrange-wrongtype", .wrongType)] {
            let message = try Fixtures.errorMessage(version, name)
            #expect(ReplyError.from(redisError: message) == ReplyError(kind, message), "\(name): \(message)")
        }
        #expect(ReplyError.from(redisError: "ERR unknown command 'XINFO'")
            == ReplyError(.commandError, "ERR unknown command 'XINFO'"))
        #expect(ReplyError.Kind.noSuchGroup.rawValue == "missing_group")
        #expect(ReplyError.Kind.wrongType.rawValue == "wrongtype")
    }

    @Test("a reply that is not a key/value array is malformed")
    func malformed() {
        #expect(throws: ReplyError(.malformed, "XINFO STREAM is not a key/value array")) {
            try StreamInfo(fullReply: .integer(1))
        }
        #expect(throws: ReplyError(.malformed, "XINFO STREAM without a valid length")) {
            try StreamInfo(fullReply: .array([.string(b("groups")), .array([])]))
        }
        #expect(throws: ReplyError(.malformed, "group without a name, last-delivered-id or valid pel-count")) {
            try StreamInfo(fullReply: .array([.string(b("length")), .integer(0), .string(b("groups")),
                                              .array([.array([.string(b("name")), .string(b("g"))])])]))
        }
    }

    // MARK: XRANGE / XREVRANGE and TIME

    @Test("entryIDs of captured range replies", arguments: Fixtures.versions)
    func entryIDsOfRanges(version: String) throws {
        #expect(try entryIDs(of: Fixtures.reply(version, "xrevrange-busy")) == [id(10)])
        #expect(try entryIDs(of: Fixtures.reply(version, "xrange-busy-first-undelivered")) == [id(6)])
        #expect(try entryIDs(of: Fixtures.reply(version, "xrange-null-lag-page1")) == [id(4), id(5), id(7), id(8)])
        #expect(try entryIDs(of: Fixtures.reply(version, "xrange-null-lag-page2")) == [id(9), id(10)])
        #expect(try entryIDs(of: Fixtures.reply(version, "xrevrange-empty")) == [])
        #expect(try entryIDs(of: Fixtures.reply(version, "xrevrange-missing")) == [])
        let wrong = try Fixtures.errorMessage(version, "xrevrange-wrongtype")
        #expect(throws: ReplyError(.wrongType, wrong)) {
            try entryIDs(of: Fixtures.reply(version, "xrevrange-wrongtype"))
        }
    }

    @Test("entryIDs of malformed replies")
    func entryIDsMalformed() {
        #expect(throws: ReplyError(.malformed, "range reply is not an array")) { try entryIDs(of: .null) }
        #expect(throws: ReplyError(.malformed, "range entry without an ID")) {
            try entryIDs(of: .array([.array([.string(b("not-an-id")), .array([])])]))
        }
    }

    @Test("redisTimeMs of captured TIME replies")
    func time() throws {
        #expect(try redisTimeMs(of: Fixtures.reply("6.2.5", "time")) == 1_795_938_993_466)
        #expect(try redisTimeMs(of: Fixtures.reply("7.0", "time")) == 1_795_938_995_234)
        #expect(try redisTimeMs(of: Fixtures.reply("8.2.3", "time")) == 1_795_938_997_251)
        #expect(try redisTimeMs(of: .array([.string(b("1")), .string(b("999999"))])) == 1_999)
        #expect(throws: ReplyError(.malformed, "TIME reply is not [seconds, microseconds] of a clock between 1970 and 9999")) {
            try redisTimeMs(of: .array([.string(b("1"))]))
        }
        // An error reply is Redis' own words, classified: a user without TIME is `noperm`.
        #expect(throws: ReplyError(.commandError, "ERR x")) { try redisTimeMs(of: .error("ERR x")) }
        let denied = "NOPERM this user has no permissions to run the 'time' command"
        #expect(throws: ReplyError(.noPermission, denied)) { try redisTimeMs(of: .error(denied)) }
    }

    /// NOPERM texts differ by version (research on 6.2.5, 7.0.15, 8.2.3); the prefix decides.
    @Test("NOPERM of every version is noperm", arguments: [
        "NOPERM this user has no permissions to run the 'xinfo' command or its subcommand",
        "NOPERM this user has no permissions to run the 'xinfo|stream' command",
        "NOPERM User stream-lag-exporter has no permissions to run the 'xinfo|stream' command",
        "NOPERM this user has no permissions to access one of the keys used as arguments",
        "NOPERM No permissions to access a key",
    ])
    func nopermOfEveryVersion(message: String) {
        #expect(ReplyError.from(redisError: message).kind == .noPermission)
        #expect(throws: ReplyError(.noPermission, message)) { try StreamInfo(fullReply: .error(message)) }
    }
}
