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
    /// The highest ID ever deleted from the stream (Redis 7.0+; `0-0` for none), nil when absent
    /// or not an ID.
    public var maxDeletedEntryID: StreamID?

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
        /// A cluster node does not serve the key's slot (`MOVED`, `ASK`).
        case redirected = "moved"
        /// A cluster node serves no key now (`CLUSTERDOWN`, `TRYAGAIN`, `LOADING`).
        case unavailable = "cluster_down"
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
        if message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") { return ReplyError(.redirected, message) }
        if message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("TRYAGAIN") || message.hasPrefix("LOADING") {
            return ReplyError(.unavailable, message)
        }
        return ReplyError(.commandError, message)
    }
}

extension StreamInfo {
    /// Decodes an `XINFO STREAM key FULL COUNT n` reply. Pure: no I/O. Every integer is checked
    /// before use: a required one that makes no sense (a negative length or PEL size) fails the
    /// reply, an optional one is left out and noted in `problems`.
    public init(fullReply reply: RedisReply) throws(ReplyError) {
        try self.init(fullReply: ReplyView(reply))
    }

    /// The same, read from the flat reply: key/value pairs walked in place by node index, keys
    /// compared as bytes (what the text comparison says for these ASCII keys), a repeated key's
    /// last value used, as a dictionary of the pairs would.
    public init(fullReply reply: ReplyView) throws(ReplyError) {
        self = try Self.parse(reply.batch, reply.index)
    }

    private static func parse(_ r: ReplyBatch, _ at: Int) throws(ReplyError) -> StreamInfo {
        if let message = r.errorMessage(at: at) { throw ReplyError.from(redisError: message) }
        var lengthField, lastGeneratedField, entriesAddedField, maxDeletedField, entriesField, groupsField: Int?
        var key = try firstKey(r, at, "XINFO STREAM")
        for _ in 0..<r.elementCount(at: at) / 2 {
            let value = r.end(of: key)
            if r.isText(at: key, Key.length) { lengthField = value }
            else if r.isText(at: key, Key.lastGeneratedID) { lastGeneratedField = value }
            else if r.isText(at: key, Key.entriesAdded) { entriesAddedField = value }
            else if r.isText(at: key, Key.maxDeletedID) { maxDeletedField = value }
            else if r.isText(at: key, Key.entries) { entriesField = value }
            else if r.isText(at: key, Key.groups) { groupsField = value }
            key = r.end(of: value)
        }
        guard let length = Checked.count(r, lengthField) else {
            throw ReplyError(.malformed, "XINFO STREAM without a valid length")
        }
        var problems: [String] = []
        let entriesAdded = Checked.optionalCount(r, entriesAddedField, "entries-added", &problems)
        // The first entry's ID: entries[0][0].
        var firstEntryID: StreamID?
        if let entries = entriesField, r.elementCount(at: entries) > 0, r.elementCount(at: entries + 1) > 0 {
            firstEntryID = r.streamID(at: entries + 2)
        }
        var groups: [GroupInfo] = []
        if let groupsField {
            guard r.kind(at: groupsField) == .array else { throw ReplyError(.malformed, "groups is not an array") }
            groups.reserveCapacity(r.elementCount(at: groupsField))
            var group = groupsField + 1
            for _ in 0..<r.elementCount(at: groupsField) {
                groups.append(try Self.group(r, group, &problems))
                group = r.end(of: group)
            }
        }
        return StreamInfo(length: length, lastGeneratedID: lastGeneratedField.flatMap(r.streamID(at:)),
                          entriesAdded: entriesAdded, firstEntryID: firstEntryID, groups: groups, problems: problems,
                          maxDeletedEntryID: maxDeletedField.flatMap(r.streamID(at:)))
    }

    /// The keys read from XINFO STREAM FULL, as bytes.
    private enum Key {
        static let length = Array("length".utf8)
        static let lastGeneratedID = Array("last-generated-id".utf8)
        static let entriesAdded = Array("entries-added".utf8)
        static let maxDeletedID = Array("max-deleted-entry-id".utf8)
        static let entries = Array("entries".utf8)
        static let groups = Array("groups".utf8)
        static let name = Array("name".utf8)
        static let lastDeliveredID = Array("last-delivered-id".utf8)
        static let pelCount = Array("pel-count".utf8)
        static let pending = Array("pending".utf8)
        static let consumers = Array("consumers".utf8)
        static let entriesRead = Array("entries-read".utf8)
        static let lag = Array("lag".utf8)
        static let seenTime = Array("seen-time".utf8)
        static let activeTime = Array("active-time".utf8)
    }

    /// The index of the first key of a RESP2 flat key/value array (pairs follow, each value
    /// right after its key).
    private static func firstKey(_ r: ReplyBatch, _ at: Int, _ what: String) throws(ReplyError) -> Int {
        guard r.kind(at: at) == .array, r.elementCount(at: at) % 2 == 0 else {
            throw ReplyError(.malformed, "\(what) is not a key/value array")
        }
        return at + 1
    }

    private static func group(_ r: ReplyBatch, _ at: Int, _ problems: inout [String]) throws(ReplyError) -> GroupInfo {
        var nameField, ldiField, pelField, pendingField, consumersField, entriesReadField, lagField: Int?
        var key = try firstKey(r, at, "group")
        for _ in 0..<r.elementCount(at: at) / 2 {
            let value = r.end(of: key)
            if r.isText(at: key, Key.name) { nameField = value }
            else if r.isText(at: key, Key.lastDeliveredID) { ldiField = value }
            else if r.isText(at: key, Key.pelCount) { pelField = value }
            else if r.isText(at: key, Key.pending) { pendingField = value }
            else if r.isText(at: key, Key.consumers) { consumersField = value }
            else if r.isText(at: key, Key.entriesRead) { entriesReadField = value }
            else if r.isText(at: key, Key.lag) { lagField = value }
            key = r.end(of: value)
        }
        guard let name = nameField.flatMap(r.bytes(at:)),
              let ldi = ldiField.flatMap(r.streamID(at:)),
              let pel = Checked.count(r, pelField)
        else { throw ReplyError(.malformed, "group without a name, last-delivered-id or valid pel-count") }
        var oldest: PendingEntry?
        // Each PEL entry: [id, consumer, delivery-time ms, delivery-count]; the PEL is ordered by ID.
        if let pending = pendingField, r.elementCount(at: pending) > 0, r.elementCount(at: pending + 1) >= 4,
           let id = r.streamID(at: pending + 2) {
            let timeField = r.end(of: r.end(of: pending + 2))
            if let time = Checked.epochMs(r, timeField), let count = Checked.count(r, r.end(of: timeField)) {
                oldest = PendingEntry(id: id, deliveryTimeMs: time, deliveryCount: count)
            } else {
                problems.append("oldest pending entry: delivery time or count out of range")
            }
        }
        var consumers: [ConsumerInfo] = []
        if let consumersField {
            guard r.kind(at: consumersField) == .array else { throw ReplyError(.malformed, "consumers is not an array") }
            consumers.reserveCapacity(r.elementCount(at: consumersField))
            var consumer = consumersField + 1
            for _ in 0..<r.elementCount(at: consumersField) {
                consumers.append(try Self.consumer(r, consumer, &problems))
                consumer = r.end(of: consumer)
            }
        }
        return GroupInfo(
            name: name, lastDeliveredID: ldi,
            entriesRead: Checked.optionalCount(r, entriesReadField, "entries-read", &problems),
            lag: Checked.optionalCount(r, lagField, "lag", &problems),
            pelCount: pel, oldestPending: oldest, consumers: consumers)
    }

    private static func consumer(_ r: ReplyBatch, _ at: Int, _ problems: inout [String]) throws(ReplyError) -> ConsumerInfo {
        var nameField, seenField, pelField, activeField: Int?
        var key = try firstKey(r, at, "consumer")
        for _ in 0..<r.elementCount(at: at) / 2 {
            let value = r.end(of: key)
            if r.isText(at: key, Key.name) { nameField = value }
            else if r.isText(at: key, Key.seenTime) { seenField = value }
            else if r.isText(at: key, Key.pelCount) { pelField = value }
            else if r.isText(at: key, Key.activeTime) { activeField = value }
            key = r.end(of: value)
        }
        guard let name = nameField.flatMap(r.bytes(at:)), seenField.flatMap(r.int(at:)) != nil,
              let pel = Checked.count(r, pelField)
        else { throw ReplyError(.malformed, "consumer without a name, seen-time or valid pel-count") }
        let seen = Checked.epochMs(r, seenField)
        if seen == nil { problems.append("consumer seen-time out of range") }
        // 7.2+ says -1 for a consumer that never read successfully: not a problem, just unknown.
        var active: Int64?
        if let raw = activeField.flatMap(r.int(at:)), raw != -1 {
            active = Checked.epochMs(raw)
            if active == nil { problems.append("consumer active-time out of range") }
        }
        return ConsumerInfo(name: name, seenTimeMs: seen, activeTimeMs: active, pelCount: pel)
    }

    /// A RESP2 flat key/value array as a dictionary (tests read captured replies with it).
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

    /// A non-negative count (length, PEL size, lag) at node `i`, when there is one.
    static func count(_ r: ReplyBatch, _ i: Int?) -> Int? {
        guard let i, let value = r.int(at: i), value >= 0 else { return nil }
        return Int(value)
    }

    /// An optional count: absent or null is nil silently; present but negative is nil and noted.
    static func optionalCount(_ r: ReplyBatch, _ i: Int?, _ what: String, _ problems: inout [String]) -> Int? {
        guard let i, let value = r.int(at: i) else { return nil }
        guard value >= 0 else {
            problems.append("\(what) out of range")
            return nil
        }
        return Int(value)
    }

    /// Epoch milliseconds between 1970 and the end of year 9999.
    static func epochMs(_ r: ReplyBatch, _ i: Int?) -> Int64? {
        guard let i, let value = r.int(at: i) else { return nil }
        return epochMs(value)
    }

    static func epochMs(_ value: Int64) -> Int64? {
        (0...maxEpochMs).contains(value) ? value : nil
    }
}

/// The IDs of an `XRANGE`/`XREVRANGE` reply, in reply order.
public func entryIDs(of reply: RedisReply) throws(ReplyError) -> [StreamID] {
    var ids: [StreamID] = []
    try forEachEntryID(of: ReplyView(reply)) { ids.append($0) }
    return ids
}

/// What a poll needs of a range reply: how many entries, the first and the last ID.
public struct EntryRange: Sendable, Equatable {
    public var count = 0
    public var first: StreamID?
    public var last: StreamID?
    /// With a boundary: how many entries are at or below it, and the first above it.
    public var atOrBelow = 0
    public var firstAbove: StreamID?
    /// With an end: how many entries are at or below it.
    public var upToEnd = 0
}

/// The count and ends of an `XRANGE`/`XREVRANGE` reply (every entry's ID checked, as
/// `entryIDs(of:)` does; field/value pairs never read).
public func entryRange(of reply: ReplyView, splitAt boundary: StreamID = .max,
                       end: StreamID = .max) throws(ReplyError) -> EntryRange {
    var range = EntryRange()
    try forEachEntryID(of: reply) { id in
        if range.first == nil { range.first = id }
        range.last = id
        range.count += 1
        if id <= end { range.upToEnd += 1 }
        if id <= boundary {
            range.atOrBelow += 1
        } else if range.firstAbove == nil {
            range.firstAbove = id
        }
    }
    return range
}

private func forEachEntryID(of reply: ReplyView, _ body: (StreamID) -> Void) throws(ReplyError) {
    let r = reply.batch
    if let message = r.errorMessage(at: reply.index) { throw ReplyError.from(redisError: message) }
    guard r.kind(at: reply.index) == .array else { throw ReplyError(.malformed, "range reply is not an array") }
    var entry = reply.index + 1
    for _ in 0..<r.elementCount(at: reply.index) {
        // [id, [field, value, ...]]: only the ID is read.
        guard r.elementCount(at: entry) > 0, let id = r.streamID(at: entry + 1) else {
            throw ReplyError(.malformed, "range entry without an ID")
        }
        body(id)
        entry = r.end(of: entry)
    }
}

/// Redis' `TIME` reply as epoch milliseconds. Seconds from 0 to the end of year 9999 and
/// microseconds below a million, or the reply is malformed: a clock outside that range makes
/// no sense, and every age the poll computes is taken against it.
public func redisTimeMs(of reply: RedisReply) throws(ReplyError) -> Int64 {
    try redisTimeMs(of: ReplyView(reply))
}

public func redisTimeMs(of reply: ReplyView) throws(ReplyError) -> Int64 {
    if let message = reply.errorMessage { throw ReplyError.from(redisError: message) }
    var parts = reply.elements
    guard reply.count == 2, let s = parts.next()?.int, let us = parts.next()?.int,
          (0...Checked.maxEpochMs / 1000).contains(s), (0..<1_000_000).contains(us)
    else {
        throw ReplyError(.malformed, "TIME reply is not [seconds, microseconds] of a clock between 1970 and 9999")
    }
    return s * 1000 + us / 1000
}

extension ReplyBatch {
    /// The stream ID a bulk string (or status) at node `i` holds, else nil.
    func streamID(at i: Int) -> StreamID? {
        switch kind(at: i) {
        case .string: return StreamID(ascii: bytes, byteRange(at: i)!)
        case .status: return self.bytes(at: i).flatMap(StreamID.init(bytes:))
        default: return nil
        }
    }
}
