public import RedisProtocol

/// What one `XINFO STREAM key FULL COUNT 1` reply says, as plain values. Fields a Redis
/// version does not report are nil (for example `lag` and `entriesRead` before 7.0).
public struct StreamInfo: Sendable, Equatable {
    public var length: Int
    public var lastGeneratedID: StreamID?
    public var entriesAdded: Int?
    /// The first entry still in the stream (from `entries`), nil when the stream is empty.
    public var firstEntryID: StreamID?
    public var groups: [GroupInfo]
    /// Figures left out because their values make no sense (a negative count, a time outside
    /// year 0-9999), one line each: counted as `malformed_reply`, the rest of the reply is used.
    public var problems: [String] = []

    public struct GroupInfo: Sendable, Equatable {
        public var name: [UInt8]
        public var lastDeliveredID: StreamID
        public var entriesRead: Int?
        /// Nil when Redis cannot tell (null) or is older than 7.0 (absent).
        public var lag: Int?
        public var pelCount: Int
        public var oldestPending: PendingEntry?
        public var consumers: [ConsumerInfo]
    }

    public struct PendingEntry: Sendable, Equatable {
        public var id: StreamID
        /// Epoch milliseconds of the last delivery.
        public var deliveryTimeMs: Int64
        public var deliveryCount: Int
    }

    public struct ConsumerInfo: Sendable, Equatable {
        public var name: [UInt8]
        /// Epoch ms of the last attempted interaction; nil when the value makes no sense.
        public var seenTimeMs: Int64?
        /// Epoch ms of the last successful interaction (Redis >= 7.2); nil when absent or never.
        public var activeTimeMs: Int64?
        public var pelCount: Int
    }
}

/// Why a reply could not be read as the figure it should hold.
public struct ReplyError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case noSuchKey = "missing_stream"
        case wrongType = "wrongtype"
        case noSuchGroup = "missing_group"
        case commandError = "command_error"
        case malformed = "malformed_reply"
        /// The ACL user may not run the command or read the key (`NOPERM`).
        case noPermission = "noperm"
    }
    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Classifies a Redis error reply.
    public static func from(redisError message: String) -> ReplyError {
        if message.hasPrefix("WRONGTYPE") { return ReplyError(.wrongType, message) }
        if message.contains("no such key") { return ReplyError(.noSuchKey, message) }
        if message.hasPrefix("NOGROUP") { return ReplyError(.noSuchGroup, message) }
        // The text differs between versions (8.x names the user); the prefix does not.
        if message.hasPrefix("NOPERM") { return ReplyError(.noPermission, message) }
        return ReplyError(.commandError, message)
    }
}

extension StreamInfo {
    /// Decodes an `XINFO STREAM key FULL COUNT n` reply. Pure: no I/O. Every integer is checked
    /// before use: a required one that makes no sense (a negative length or PEL size) fails the
    /// reply, an optional one is left out and noted in `problems`.
    public init(fullReply reply: RedisReply) throws(ReplyError) {
        if let message = reply.errorMessage { throw ReplyError.from(redisError: message) }
        let map = try Self.map(reply, "XINFO STREAM")
        guard let length = Checked.count(map["length"]) else {
            throw ReplyError(.malformed, "XINFO STREAM without a valid length")
        }
        var problems: [String] = []
        self.length = length
        lastGeneratedID = map["last-generated-id"]?.bytes.flatMap(StreamID.init(bytes:))
        entriesAdded = Checked.optionalCount(map["entries-added"], "entries-added", &problems)
        firstEntryID = map["entries"]?.array?.first?.array?.first?.bytes.flatMap(StreamID.init(bytes:))
        var groups: [GroupInfo] = []
        for group in try Self.list(map["groups"], "groups") { groups.append(try Self.group(group, &problems)) }
        self.groups = groups
        self.problems = problems
    }

    private static func group(_ reply: RedisReply, _ problems: inout [String]) throws(ReplyError) -> GroupInfo {
        let map = try Self.map(reply, "group")
        guard let name = map["name"]?.bytes,
              let ldi = map["last-delivered-id"]?.bytes.flatMap(StreamID.init(bytes:)),
              let pel = Checked.count(map["pel-count"])
        else { throw ReplyError(.malformed, "group without a name, last-delivered-id or valid pel-count") }
        var oldest: PendingEntry?
        // Each PEL entry: [id, consumer, delivery-time ms, delivery-count]; the PEL is ordered by ID.
        if let first = map["pending"]?.array?.first?.array, first.count >= 4,
           let id = first[0].bytes.flatMap(StreamID.init(bytes:)) {
            if let time = Checked.epochMs(first[2]), let count = Checked.count(first[3]) {
                oldest = PendingEntry(id: id, deliveryTimeMs: time, deliveryCount: count)
            } else {
                problems.append("oldest pending entry: delivery time or count out of range")
            }
        }
        var consumers: [ConsumerInfo] = []
        for consumer in try Self.list(map["consumers"], "consumers") { consumers.append(try Self.consumer(consumer, &problems)) }
        return GroupInfo(
            name: name, lastDeliveredID: ldi,
            entriesRead: Checked.optionalCount(map["entries-read"], "entries-read", &problems),
            lag: Checked.optionalCount(map["lag"], "lag", &problems),
            pelCount: pel, oldestPending: oldest, consumers: consumers)
    }

    private static func consumer(_ reply: RedisReply, _ problems: inout [String]) throws(ReplyError) -> ConsumerInfo {
        let map = try Self.map(reply, "consumer")
        guard let name = map["name"]?.bytes, map["seen-time"]?.int != nil, let pel = Checked.count(map["pel-count"])
        else { throw ReplyError(.malformed, "consumer without a name, seen-time or valid pel-count") }
        let seen = Checked.epochMs(map["seen-time"])
        if seen == nil { problems.append("consumer seen-time out of range") }
        // 7.2+ says -1 for a consumer that never read successfully: not a problem, just unknown.
        var active: Int64?
        if let raw = map["active-time"]?.int, raw != -1 {
            active = Checked.epochMs(.integer(raw))
            if active == nil { problems.append("consumer active-time out of range") }
        }
        return ConsumerInfo(name: name, seenTimeMs: seen, activeTimeMs: active, pelCount: pel)
    }

    /// The items of a list field: none when absent, malformed when it is not an array.
    private static func list(_ reply: RedisReply?, _ what: String) throws(ReplyError) -> [RedisReply] {
        guard let reply else { return [] }
        guard let items = reply.array else { throw ReplyError(.malformed, "\(what) is not an array") }
        return items
    }

    /// A RESP2 flat key/value array as a dictionary.
    static func map(_ reply: RedisReply, _ what: String) throws(ReplyError) -> [String: RedisReply] {
        guard let items = reply.array, items.count % 2 == 0 else {
            throw ReplyError(.malformed, "\(what) is not a key/value array")
        }
        var map: [String: RedisReply] = [:]
        map.reserveCapacity(items.count / 2)
        var i = 0
        while i < items.count {
            if let key = items[i].text { map[key] = items[i + 1] }
            i += 2
        }
        return map
    }
}

/// Range checks for integers that come from outside. Swift traps on overflow, so a value is
/// checked before any arithmetic touches it: within these ranges no sum, difference or
/// product the exporter makes can overflow.
enum Checked {
    /// The last millisecond of year 9999: later "times" are not clocks.
    static let maxEpochMs: Int64 = 253_402_300_799_999

    /// A non-negative count (length, PEL size, lag).
    static func count(_ reply: RedisReply?) -> Int? {
        guard let value = reply?.int, value >= 0 else { return nil }
        return Int(value)
    }

    /// An optional count: absent or null is nil silently; present but negative is nil and noted.
    static func optionalCount(_ reply: RedisReply?, _ what: String, _ problems: inout [String]) -> Int? {
        guard let reply, reply.int != nil else { return nil }
        guard let value = count(reply) else {
            problems.append("\(what) out of range")
            return nil
        }
        return value
    }

    /// Epoch milliseconds between 1970 and the end of year 9999.
    static func epochMs(_ reply: RedisReply?) -> Int64? {
        guard let value = reply?.int, (0...maxEpochMs).contains(value) else { return nil }
        return value
    }
}

/// The IDs of an `XRANGE`/`XREVRANGE` reply, in reply order.
public func entryIDs(of reply: RedisReply) throws(ReplyError) -> [StreamID] {
    if let message = reply.errorMessage { throw ReplyError.from(redisError: message) }
    guard let entries = reply.array else { throw ReplyError(.malformed, "range reply is not an array") }
    var ids: [StreamID] = []
    ids.reserveCapacity(entries.count)
    for entry in entries {
        guard let id = entry.array?.first?.bytes.flatMap(StreamID.init(bytes:)) else {
            throw ReplyError(.malformed, "range entry without an ID")
        }
        ids.append(id)
    }
    return ids
}

/// Redis' `TIME` reply as epoch milliseconds. Seconds from 0 to the end of year 9999 and
/// microseconds below a million, or the reply is malformed: a clock outside that range makes
/// no sense, and every age the poll computes is taken against it.
public func redisTimeMs(of reply: RedisReply) throws(ReplyError) -> Int64 {
    if let message = reply.errorMessage { throw ReplyError.from(redisError: message) }
    guard let parts = reply.array, parts.count == 2, let s = parts[0].int, let us = parts[1].int,
          (0...Checked.maxEpochMs / 1000).contains(s), (0..<1_000_000).contains(us)
    else {
        throw ReplyError(.malformed, "TIME reply is not [seconds, microseconds] of a clock between 1970 and 9999")
    }
    return s * 1000 + us / 1000
}
