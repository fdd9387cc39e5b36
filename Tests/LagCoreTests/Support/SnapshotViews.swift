@testable import LagCore

/// Equatable copies of the snapshot types, so that tests compare whole values.
struct ConsumerView: Equatable, CustomStringConvertible {
    var name: String
    var pending: Int
    var idle: Double?
    var inactive: Double?

    init(_ name: String, pending: Int, idle: Double?, inactive: Double? = nil) {
        self.name = name
        self.pending = pending
        self.idle = idle
        self.inactive = inactive
    }

    init(_ c: ConsumerState) {
        self.init(String(decoding: c.name.bytes, as: UTF8.self), pending: c.pending, idle: c.idleSeconds, inactive: c.inactiveSeconds)
    }

    var description: String { "\(name) pending=\(pending) idle=\(idle.map { "\($0)" } ?? "nil") inactive=\(inactive.map { "\($0)" } ?? "nil")" }
}

struct GroupView: Equatable {
    var name: String
    var exists = true
    var lag: Int?
    var lagExact = true
    var lagSeconds: Double?
    var pending = 0
    var oldestPendingIdleSeconds: Double?
    var oldestPendingDeliveries: Int?
    var lastDeliveredID: StreamID?
    var entriesRead: Int?
    var stalled = false
    var status = Status.healthy
    var consumers: [ConsumerView] = []
    var consumerCount = 0

    init(name: String, exists: Bool = true, lag: Int?, lagExact: Bool = true, lagSeconds: Double?,
         pending: Int = 0, oldestPendingIdleSeconds: Double? = nil, oldestPendingDeliveries: Int? = nil,
         lastDeliveredID: StreamID?, entriesRead: Int? = nil, stalled: Bool = false, status: Status = .healthy,
         consumers: [ConsumerView] = [], consumerCount: Int = 0) {
        self.name = name
        self.exists = exists
        self.lag = lag
        self.lagExact = lagExact
        self.lagSeconds = lagSeconds
        self.pending = pending
        self.oldestPendingIdleSeconds = oldestPendingIdleSeconds
        self.oldestPendingDeliveries = oldestPendingDeliveries
        self.lastDeliveredID = lastDeliveredID
        self.entriesRead = entriesRead
        self.stalled = stalled
        self.status = status
        self.consumers = consumers
        self.consumerCount = consumerCount
    }

    /// A monitored group that the stream does not have.
    static func missing(_ name: String) -> GroupView {
        GroupView(name: name, exists: false, lag: nil, lagSeconds: nil, lastDeliveredID: nil, status: .degraded)
    }

    init(_ g: GroupState) {
        self.init(name: String(decoding: g.name.bytes, as: UTF8.self), exists: g.exists, lag: g.lag, lagExact: g.lagExact,
                  lagSeconds: g.lagSeconds, pending: g.pending, oldestPendingIdleSeconds: g.oldestPendingIdleSeconds,
                  oldestPendingDeliveries: g.oldestPendingDeliveries, lastDeliveredID: g.lastDeliveredID,
                  entriesRead: g.entriesRead, stalled: g.stalled, status: g.status,
                  consumers: g.consumers.map(ConsumerView.init), consumerCount: g.consumerCount)
    }
}

struct StreamView: Equatable {
    var name: String
    var presence: StreamState.Presence
    var length = 0
    var groupCount = 0
    var entriesAdded: Int?
    var firstEntryID: StreamID?
    var lastEntryID: StreamID?
    var lastEntryAgeSeconds: Double?
    var groups: [GroupView] = []

    init(name: String, presence: StreamState.Presence = .exists, length: Int = 0, groupCount: Int = 0,
         entriesAdded: Int? = nil, firstEntryID: StreamID? = nil, lastEntryID: StreamID? = nil,
         lastEntryAgeSeconds: Double? = nil, groups: [GroupView] = []) {
        self.name = name
        self.presence = presence
        self.length = length
        self.groupCount = groupCount
        self.entriesAdded = entriesAdded
        self.firstEntryID = firstEntryID
        self.lastEntryID = lastEntryID
        self.lastEntryAgeSeconds = lastEntryAgeSeconds
        self.groups = groups
    }

    init(_ s: StreamState) {
        self.init(name: String(decoding: s.name.bytes, as: UTF8.self), presence: s.presence, length: s.length,
                  groupCount: s.groupCount, entriesAdded: s.entriesAdded, firstEntryID: s.firstEntryID,
                  lastEntryID: s.lastEntryID, lastEntryAgeSeconds: s.lastEntryAgeSeconds,
                  groups: s.groups.map(GroupView.init))
    }
}

extension Snapshot {
    var views: [StreamView] { streams.map(StreamView.init) }
}
