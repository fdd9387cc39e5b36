import Testing
@testable import LagCore

/// A snapshot holds one `StreamState`, one `GroupState` array and one `LagWindow` a stream,
/// 100,000 of each at scale: their optional figures are stored without Swift's flag byte
/// (`Absent`). Every value a figure can take must read back as it was set, nil included, and
/// the states must stay as small as docs/performance.md says.
@Suite("Snapshot storage")
struct SnapshotStorageTests {
    @Test func optionalCountsAndTimesReadBackAsSet() {
        var group = GroupState(name: Name("g"), exists: true)
        #expect(group.lag == nil && group.lagSeconds == nil && group.entriesRead == nil && group.produceRate == nil)
        for value in [0, 1, 999, Int.max] {
            group.lag = value
            group.entriesRead = value
            group.oldestPendingDeliveries = value
            #expect(group.lag == value && group.entriesRead == value && group.oldestPendingDeliveries == value)
        }
        group.lag = nil
        #expect(group.lag == nil)
        for value in [0.0, 0.001, 1e300, .infinity, -2.5] {
            group.lagSeconds = value
            group.drainSeconds = value
            #expect(group.lagSeconds == value && group.drainSeconds == value)
        }
        group.lagSeconds = nil
        #expect(group.lagSeconds == nil && group.drainSeconds == -2.5)

        var stream = StreamState(name: Name("s"), presence: .exists)
        #expect(stream.entriesAdded == nil && stream.lastEntryAgeSeconds == nil)
        stream.entriesAdded = 0
        stream.lastEntryAgeSeconds = 0
        #expect(stream.entriesAdded == 0 && stream.lastEntryAgeSeconds == 0)

        var consumer = ConsumerState(name: Name("c"), pending: 1, idleSeconds: nil, inactiveSeconds: 3)
        #expect(consumer.idleSeconds == nil && consumer.inactiveSeconds == 3)
        consumer.idleSeconds = 0
        #expect(consumer.idleSeconds == 0)
    }

    /// The sizes docs/performance.md gives ("A snapshot of fewer bytes"); an optional added
    /// the plain way brings back 8 bytes of padding for each.
    @Test func statesStayCompact() {
        #expect(MemoryLayout<GroupState>.stride <= 144)
        #expect(MemoryLayout<StreamState>.stride <= 112)
        #expect(MemoryLayout<ConsumerState>.stride <= 48)
        #expect(MemoryLayout<LagWindow>.stride <= 192)
    }
}
