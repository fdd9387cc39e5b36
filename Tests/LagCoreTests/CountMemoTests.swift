import Testing
@testable import LagCore

/// When a group's count from the last poll can be built on (`CountMemo.lag`): only when the
/// stream grew at its end alone and the group did not move.
@Suite("Count memo")
struct CountMemoTests {
    static func id(_ ms: UInt64) -> StreamID { StreamID(ms: ms, seq: 0) }

    /// 100 entries (ids 1...100), 100 ever added, last-delivered-id 60: 40 undelivered, the first 61.
    static let memo = CountMemo(length: 100, entriesAdded: 100, lag: 40, lastDeliveredID: id(60), firstEntryID: id(1),
                                lastEntryID: id(100), firstUndelivered: id(61))!

    func lag(_ memo: CountMemo = memo, length: Int, added: Int?, first: StreamID? = id(1), ld: StreamID = id(60)) -> Int? {
        memo.lag(length: length, entriesAdded: added, firstEntryID: first, lastDeliveredID: ld)
    }

    @Test func unchangedOrAppendedOnly() {
        #expect(lag(length: 100, added: 100) == 40)
        #expect(lag(length: 130, added: 130) == 70)
        #expect(Self.memo.expectedFirstUndelivered == Self.id(61))
    }

    @Test func aDeletionOrTrimIsNotBuiltOn() {
        #expect(lag(length: 99, added: 100) == nil, "XDEL")
        #expect(lag(length: 129, added: 130) == nil, "XDEL and appends")
        #expect(lag(length: 90, added: 100, first: Self.id(11)) == nil, "trim")
        #expect(lag(length: 100, added: 110, first: Self.id(11)) == nil, "MAXLEN with appends: the length did not grow")
    }

    @Test func aMovedGroupOrAnotherStreamIsNotBuiltOn() {
        #expect(lag(length: 100, added: 100, ld: Self.id(70)) == nil, "the group read on")
        #expect(lag(length: 100, added: 100, first: Self.id(2)) == nil, "another first entry")
        #expect(lag(length: 100, added: 90) == nil, "entries-added went back: not the same stream")
        #expect(lag(length: 100, added: nil) == nil, "no entries-added (Redis 6.2)")
    }

    @Test func caughtUpAtTheLastEntryOrAhead() throws {
        let atLast = try #require(CountMemo(length: 100, entriesAdded: 100, lag: 0, lastDeliveredID: Self.id(100),
                                            firstEntryID: Self.id(1), lastEntryID: Self.id(100), firstUndelivered: nil))
        #expect(lag(atLast, length: 105, added: 105, ld: Self.id(100)) == 5)
        #expect(atLast.expectedFirstUndelivered == nil)
        // SETID ahead of the last entry: an entry appended below it is not undelivered.
        #expect(CountMemo(length: 100, entriesAdded: 100, lag: 0, lastDeliveredID: Self.id(500), firstEntryID: Self.id(1),
                          lastEntryID: Self.id(100), firstUndelivered: nil) == nil, "ahead of the last entry: nothing to build on")
        #expect(CountMemo(length: 0, entriesAdded: 0, lag: 0, lastDeliveredID: .zero, firstEntryID: nil,
                          lastEntryID: nil, firstUndelivered: nil) == nil, "an empty stream: no last entry to be at")
    }

    /// The memo above, with the stream's max-deleted-entry-id (none: 0-0) and the group's entries-read.
    static let kept = CountMemo(length: 100, entriesAdded: 100, lag: 40, lastDeliveredID: id(60), firstEntryID: id(1),
                                lastEntryID: id(100), firstUndelivered: id(61), maxDeletedID: .zero, entriesRead: 60)!

    func known(_ memo: CountMemo = kept, maxDeleted: StreamID? = .zero, entriesRead: Int? = 60, last: StreamID? = id(100)) -> StreamID? {
        memo.firstUndelivered(maxDeletedID: maxDeleted, entriesRead: entriesRead, lastEntryID: last)
    }

    @Test func oldestUndeliveredKnownWhileNothingWasDeleted() {
        #expect(known() == Self.id(61))
        #expect(known(last: Self.id(130)) == Self.id(61), "appended after the last entry: the oldest stays")
        #expect(known(maxDeleted: Self.id(7)) == nil, "an entry was deleted since")
        #expect(known(maxDeleted: nil) == nil, "no max-deleted-entry-id")
        #expect(known(entriesRead: 59) == nil, "entries-read set anew")
        #expect(known(entriesRead: nil) == nil, "entries-read now unknown")
        #expect(known(last: Self.id(60)) == nil, "not inside the stream")
        #expect(known(last: nil) == nil, "no last entry")
        #expect(known(Self.memo) == nil, "a memo without max-deleted-entry-id")
        let none = CountMemo(length: 100, entriesAdded: 100, lag: 0, lastDeliveredID: Self.id(100), firstEntryID: Self.id(1),
                             lastEntryID: Self.id(100), firstUndelivered: nil, maxDeletedID: .zero, entriesRead: 100)!
        #expect(known(none, entriesRead: 100) == nil, "the last count found none: what came since is read")
    }

    @Test func hostileFiguresGiveNothing() {
        let huge = CountMemo(length: 1, entriesAdded: 1, lag: .max - 1, lastDeliveredID: Self.id(60), firstEntryID: Self.id(1),
                             lastEntryID: Self.id(100), firstUndelivered: nil)!
        #expect(lag(huge, length: .max, added: .max) == nil, "the sum overflows")
        #expect(lag(length: 100 + 1_000, added: 100 + 1_000) == 1_040)
        #expect(lag(CountMemo(length: 100, entriesAdded: 100, lag: 100, lastDeliveredID: Self.id(60), firstEntryID: Self.id(1),
                              lastEntryID: Self.id(100), firstUndelivered: nil)!, length: 100, added: 100) == nil,
                "not a lag inside the stream")
    }
}
