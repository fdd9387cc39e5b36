public import RedisClient

/// What one `XINFO STREAM key FULL COUNT 1` reply says, as plain values. Fields a Redis
/// version does not report are nil (for example `lag` and `entriesRead` before 7.0).
public struct StreamInfo: Sendable, Equatable {
    public var length: Int
    public var lastGeneratedID: StreamID?
    public var entriesAdded: Int?
    /// The first entry still in the stream (from `entries`), nil when the stream is empty.
    public var firstEntryID: StreamID?
    public var groups: [GroupInfo]

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
        /// Epoch ms of the last attempted interaction.
        public var seenTimeMs: Int64
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
        return ReplyError(.commandError, message)
    }
}

extension StreamInfo {
    /// Decodes an `XINFO STREAM key FULL COUNT n` reply. Pure: no I/O.
    public init(fullReply reply: RedisReply) throws(ReplyError) {
        if let message = reply.errorMessage { throw ReplyError.from(redisError: message) }
        let map = try Self.map(reply, "XINFO STREAM")
        guard let length = map["length"]?.int else { throw ReplyError(.malformed, "XINFO STREAM without length") }
        self.length = Int(length)
        lastGeneratedID = map["last-generated-id"]?.bytes.flatMap(StreamID.init(bytes:))
        entriesAdded = map["entries-added"]?.int.map(Int.init)
        firstEntryID = map["entries"]?.array?.first?.array?.first?.bytes.flatMap(StreamID.init(bytes:))
        groups = try (map["groups"]?.array ?? []).map { reply throws(ReplyError) in try Self.group(reply) }
    }

    private static func group(_ reply: RedisReply) throws(ReplyError) -> GroupInfo {
        let map = try Self.map(reply, "group")
        guard let name = map["name"]?.bytes,
              let ldi = map["last-delivered-id"]?.bytes.flatMap(StreamID.init(bytes:)),
              let pel = map["pel-count"]?.int
        else { throw ReplyError(.malformed, "group without name, last-delivered-id or pel-count") }
        var oldest: PendingEntry?
        // Each PEL entry: [id, consumer, delivery-time ms, delivery-count]; the PEL is ordered by ID.
        if let first = map["pending"]?.array?.first?.array, first.count >= 4,
           let id = first[0].bytes.flatMap(StreamID.init(bytes:)),
           let time = first[2].int, let count = first[3].int {
            oldest = PendingEntry(id: id, deliveryTimeMs: time, deliveryCount: Int(count))
        }
        let consumers = try (map["consumers"]?.array ?? []).map { reply throws(ReplyError) in try consumer(reply) }
        return GroupInfo(
            name: name, lastDeliveredID: ldi,
            entriesRead: map["entries-read"]?.int.map(Int.init),
            lag: map["lag"]?.int.map(Int.init),
            pelCount: Int(pel), oldestPending: oldest, consumers: consumers)
    }

    private static func consumer(_ reply: RedisReply) throws(ReplyError) -> ConsumerInfo {
        let map = try Self.map(reply, "consumer")
        guard let name = map["name"]?.bytes, let seen = map["seen-time"]?.int, let pel = map["pel-count"]?.int
        else { throw ReplyError(.malformed, "consumer without name, seen-time or pel-count") }
        let active = map["active-time"]?.int.flatMap { $0 >= 0 ? $0 : nil }
        return ConsumerInfo(name: name, seenTimeMs: seen, activeTimeMs: active, pelCount: Int(pel))
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

/// Redis' `TIME` reply as epoch milliseconds.
public func redisTimeMs(of reply: RedisReply) throws(ReplyError) -> Int64 {
    guard let parts = reply.array, parts.count == 2, let s = parts[0].int, let us = parts[1].int else {
        throw ReplyError(.malformed, "TIME reply is not [seconds, microseconds]")
    }
    return s * 1000 + us / 1000
}
