import RedisProtocol

/// One monitored group whose lag or oldest undelivered entry may still need Redis.
struct LagWork: Sendable {
    /// What is left to read for the group; each read moves it on, ending at `.done`.
    enum Phase: Sendable {
        /// The lag and the oldest undelivered entry are known (or there is none).
        case done
        /// The lag is known; the oldest undelivered entry is the first at or after `from`.
        case findOldest(from: StreamID)
        /// Redis' lag is missing or not trusted: entries at or after `from` are being counted.
        case counting(from: StreamID, counted: Int)
        /// Redis' lag is not trusted but says most of the stream is undelivered: the delivered
        /// entries are counted instead, reading `page` entries from the first on (see `plan`).
        case countingDelivered(page: Int)
        /// Redis' lag is not trusted, but the last poll counted this group and since then
        /// entries were only appended (`CountMemo`): the lag is `lag` when the first entry at or
        /// after `from` is `expected` (any, when the last poll found none); else it is counted.
        case confirming(from: StreamID, lag: Int, expected: StreamID?)
    }

    var streamIndex: Int
    var groupIndex: Int
    var key: [UInt8]
    var lastDeliveredID: StreamID
    var lastEntryID: StreamID?
    /// The stream's first entry and length when the poll began.
    var firstEntryID: StreamID?
    var length = 0
    /// The stream's max-deleted-entry-id and the group's entries-read (Redis 7.0+), for the memo.
    var maxDeletedID: StreamID?
    var entriesRead: Int?
    var phase: Phase = .done
    /// The lag, once known; nil only while counting.
    var lag: Int?
    /// False when the count stopped at the limit (a lower bound) or could not finish.
    var exact = true
    var firstUndelivered: StreamID?
    /// A cluster node's `MOVED`/`ASK`/`CLUSTERDOWN` to a range read: the key left between round
    /// trips; the whole stream is to be read again where it is now.
    var redirect: String?
    /// Entries that round trip 1 saw after last-delivered-id were gone at a later read: the
    /// stream was deleted, trimmed, created again or lost entries between the round trips.
    var changed = false
}

/// One `Name` for each distinct group or consumer name of a poll. The same names repeat across
/// streams (every stream's `signalr-consumers`, every group's `instance-1`): made for each group
/// and consumer, they were two allocations each (the bytes, and the text when longer than 15
/// bytes), 18 MB of a snapshot at 100,000 streams (massif), and a UTF-8 check each.
struct NameInterner {
    private var known: [[UInt8]: Name] = [:]

    mutating func name(_ bytes: [UInt8]) -> Name {
        if let name = known[bytes] { return name }
        let name = Name(bytes)
        known[bytes] = name
        return name
    }
}

/// A group's exact lag as one poll found it, with what its stream was then, so that the next
/// poll can tell whether entries were only appended since (see `lag(...)`). Kept by the
/// collector between polls; IDs of `.zero` stand for none (no stream entry has that ID).
struct CountMemo {
    var length: Int
    var entriesAdded: Int
    var lag: Int
    var lastDeliveredID: StreamID
    var firstEntryID: StreamID
    var firstUndelivered: StreamID
    /// The stream's max-deleted-entry-id and the group's entries-read then (nil: unknown), for
    /// `firstUndelivered(...)`.
    var maxDeletedID: StreamID?
    var entriesRead: Int?

    /// nil where entries appended later need not come after last-delivered-id: they all come
    /// after the stream's last entry, so after last-delivered-id when that was before it (a lag
    /// of 1 or more) or was it. A group moved ahead of the last entry by `SETID` may be ahead of
    /// appended entries too, and an empty stream has no last entry to be at.
    init?(length: Int, entriesAdded: Int, lag: Int, lastDeliveredID: StreamID, firstEntryID: StreamID?,
          lastEntryID: StreamID?, firstUndelivered: StreamID?, maxDeletedID: StreamID? = nil, entriesRead: Int? = nil) {
        guard lag >= 1 || (lastEntryID != nil && lastEntryID == lastDeliveredID) else { return nil }
        self.length = length
        self.entriesAdded = entriesAdded
        self.lag = lag
        self.lastDeliveredID = lastDeliveredID
        self.firstEntryID = firstEntryID ?? .zero
        self.firstUndelivered = firstUndelivered ?? .zero
        self.maxDeletedID = maxDeletedID
        self.entriesRead = entriesRead
    }

    /// The group's lag now, when the stream only grew at its end since the memo and the group
    /// did not move: last-delivered-id and the first entry unchanged, and `entries-added` and
    /// the length grown by the same number `a` (so nothing was deleted or trimmed: each
    /// deletion takes one from the length and nothing from `entries-added`). The entries after
    /// last-delivered-id are then those counted before plus the `a` appended (see `init`). nil
    /// otherwise, or when the sum is not a lag inside the stream.
    func lag(length: Int, entriesAdded: Int?, firstEntryID: StreamID?, lastDeliveredID: StreamID) -> Int? {
        guard lastDeliveredID == self.lastDeliveredID, (firstEntryID ?? .zero) == self.firstEntryID,
              let entriesAdded, entriesAdded >= self.entriesAdded, length >= self.length,
              entriesAdded - self.entriesAdded == length - self.length else { return nil }
        let (sum, overflow) = lag.addingReportingOverflow(length - self.length)
        guard !overflow, sum >= 1, sum < length else { return nil }
        return sum
    }

    /// The first undelivered entry the memo's count found, if any.
    var expectedFirstUndelivered: StreamID? { firstUndelivered == .zero ? nil : firstUndelivered }

    /// The group's oldest undelivered entry now, known without reading it: the one the memo's
    /// count found, once `lag(...)` holds (the group did not move, the first entry is the same,
    /// the length grew by what `entries-added` grew) and besides no entry was deleted since
    /// (max-deleted-entry-id the same) and the group's entries-read is the same. Entries are
    /// only ever added after the last one, so none came before it, and it was not removed.
    /// nil (read it) otherwise, or when the memo found none.
    func firstUndelivered(maxDeletedID: StreamID?, entriesRead: Int?, lastEntryID: StreamID?) -> StreamID? {
        guard let first = expectedFirstUndelivered, let maxDeletedID, maxDeletedID == self.maxDeletedID,
              entriesRead == self.entriesRead, first > lastDeliveredID, let lastEntryID, first <= lastEntryID else { return nil }
        return first
    }
}

/// One range read of a round trip: which group it moves on, and its page size.
struct LagRead {
    var index: Int
    var size: Int
    var command: [[UInt8]]
}

extension Collector {
    /// Builds a stream's state from its XINFO reply and appends to `work` what its groups still
    /// need. `memo` gives a group's count from the last poll, if one was kept.
    func build(name: Name, info: StreamInfo, lastEntryID: StreamID?, nowMs: Int64, version: ServerVersion?,
               streamIndex: Int, names: inout NameInterner, stats: inout PollStats, work: inout [LagWork],
               memo: (Name) -> CountMemo?) -> StreamState {
        for problem in info.problems { stats.skip(.malformed, "stream \(name.display): \(problem)") }
        var stream = StreamState(name: name, presence: .exists)
        stream.length = info.length
        stream.groupCount = info.groups.count
        stream.entriesAdded = info.entriesAdded
        stream.firstEntryID = info.firstEntryID
        stream.lastEntryID = lastEntryID
        stream.lastEntryAgeSeconds = lastEntryID.flatMap { Self.age(of: $0, nowMs: nowMs) }

        // A stream has a group or two: looked up by a linear search then (the first of a name,
        // as the dictionary kept), by a dictionary past a few.
        let byName = info.groups.count > 8
            ? Dictionary(info.groups.map { (names.name($0.name), $0) }, uniquingKeysWith: { a, _ in a }) : nil
        let wanted = settings.groups.map { $0.map { names.name($0) } } ?? info.groups.map { names.name($0.name) }
        for groupName in Self.uniqueDisplay(wanted.count < 2 ? wanted : Set(wanted).sorted(), &stats) {
            guard let g = byName.map({ $0[groupName] }) ?? info.groups.first(where: { $0.name == groupName.bytes }) else {
                stats.skip(.noSuchGroup, "stream \(name.display): group \(groupName.display) does not exist")
                stream.groups.append(GroupState(name: groupName, exists: false))
                continue
            }
            var group = GroupState(name: groupName, exists: true)
            group.pending = g.pelCount
            group.lastDeliveredID = g.lastDeliveredID
            group.entriesRead = g.entriesRead
            if let oldest = g.oldestPending {
                group.oldestPendingIdleSeconds = elapsed(since: oldest.deliveryTimeMs, nowMs: nowMs, &stats)
                group.oldestPendingDeliveries = group.oldestPendingIdleSeconds == nil ? nil : oldest.deliveryCount
            }
            group.consumerCount = g.consumers.count
            group.consumers = consumers(of: g, nowMs: nowMs, names: &names, &stats)
            var item = LagWork(streamIndex: streamIndex, groupIndex: stream.groups.count, key: name.bytes,
                               lastDeliveredID: g.lastDeliveredID, lastEntryID: lastEntryID,
                               firstEntryID: info.firstEntryID, length: info.length,
                               maxDeletedID: info.maxDeletedEntryID, entriesRead: g.entriesRead)
            plan(&item, redisLag: g.lag, info: info, version: version, memo: { memo(groupName) })
            stream.groups.append(group)
            work.append(item)
        }
        return stream
    }

    /// A group's consumers in name order, at most `--consumers.max-per-group`, those whose names
    /// read as an earlier one's once invalid UTF-8 is replaced left out (counted). Made in one
    /// array: a chain of filter, map, sort and prefix made four a group (perf, 100,000 groups).
    private func consumers(of g: StreamInfo.GroupInfo, nowMs: Int64, names: inout NameInterner,
                           _ stats: inout PollStats) -> [ConsumerState] {
        var named: [(Name, StreamInfo.ConsumerInfo)] = []
        named.reserveCapacity(g.consumers.count)
        for c in g.consumers { named.append((names.name(c.name), c)) }
        if named.count > 1 { named.sort { $0.0 < $1.0 } }
        if named.count > 1, !named.allSatisfy({ $0.0.isValidUTF8 }) {
            let kept = Self.uniqueDisplay(named.map(\.0), &stats)
            if kept.count < named.count {
                let keep = Set(kept)
                named.removeAll { !keep.contains($0.0) }
            }
        }
        var out: [ConsumerState] = []
        out.reserveCapacity(min(named.count, settings.maxConsumersPerGroup))
        for (name, c) in named {
            // Every time is checked (and a senseless one counted), also past the cap.
            let state = ConsumerState(
                name: name, pending: c.pelCount,
                idleSeconds: c.seenTimeMs.flatMap { elapsed(since: $0, nowMs: nowMs, &stats) },
                inactiveSeconds: c.activeTimeMs.flatMap { elapsed(since: $0, nowMs: nowMs, &stats) })
            if out.count < settings.maxConsumersPerGroup { out.append(state) }
        }
        return out
    }

    /// Seconds from an epoch-ms time Redis reported to Redis' clock, 0 for a time up to a day
    /// ahead (clock steps), nil (counted as `malformed_reply`) for one further ahead. Both
    /// values are range-checked at decoding, so the difference cannot overflow.
    private func elapsed(since ms: Int64, nowMs: Int64, _ stats: inout PollStats) -> Double? {
        guard ms <= nowMs + 86_400_000 else {
            stats.skip(.malformed, "a time more than a day after Redis' clock")
            return nil
        }
        return Double(max(nowMs - ms, 0)) / 1000
    }

    /// Decides what can be known without reading entries (SPEC "Lag semantics"; the cases are
    /// those of docs/figures.md, "Lag where Redis cannot tell").
    private func plan(_ item: inout LagWork, redisLag: Int?, info: StreamInfo, version: ServerVersion?,
                      memo: () -> CountMemo?) {
        let ldi = item.lastDeliveredID
        // The ends are decided from the entries themselves, never from Redis' lag: after a trim
        // below the group's position Redis before 8.0 still counts the trimmed entries.
        guard info.length > 0, let last = item.lastEntryID, ldi < last else {
            item.lag = 0  // nothing after last-delivered-id
            return
        }
        if let first = info.firstEntryID, ldi <= first {
            // Everything after the first entry is undelivered (and the first too, when the group
            // is before it). Its oldest undelivered entry is the first, or the one after it.
            let lag = ldi < first ? info.length : info.length - 1
            item.lag = lag
            if ldi < first {
                item.firstUndelivered = first
            } else if let held = held(item, info: info, last: last, memo: memo), held.lag == lag, let oldest = held.oldest {
                item.firstUndelivered = oldest
            } else if let next = ldi.successor {
                item.phase = .findOldest(from: next)
            }
            return
        }
        // Inside the stream: LD < last entry, so LD has a successor.
        guard let next = ldi.successor else { return }
        let held = held(item, info: info, last: last, memo: memo)
        if let redisLag, LagTrust.trusts(redisLag: redisLag, length: info.length,
                                         entriesAdded: info.entriesAdded, version: version) {
            item.lag = redisLag
            if let held, held.lag == redisLag, let oldest = held.oldest {
                item.firstUndelivered = oldest
            } else {
                item.phase = .findOldest(from: next)
            }
        } else if let held {
            if let oldest = held.oldest {
                item.lag = held.lag
                item.firstUndelivered = oldest
            } else {
                item.phase = .confirming(from: next, lag: held.lag, expected: held.memo.expectedFirstUndelivered)
            }
        } else if let page = deliveredPage(redisLag: redisLag, info: info) {
            item.phase = .countingDelivered(page: page)
        } else {
            item.phase = .counting(from: next, counted: 0)
        }
    }

    /// The last poll's count where it still holds (the group did not move; since then entries
    /// were only appended), and the oldest undelivered entry it found where that is known
    /// without a read (nothing was deleted since either): none for a group that did not move,
    /// a stalled one or one of an idle stream.
    private func held(_ item: LagWork, info: StreamInfo, last: StreamID,
                      memo: () -> CountMemo?) -> (memo: CountMemo, lag: Int, oldest: StreamID?)? {
        guard let memo = memo(), let lag = memo.lag(length: info.length, entriesAdded: info.entriesAdded,
                                                    firstEntryID: info.firstEntryID, lastDeliveredID: item.lastDeliveredID)
        else { return nil }
        let oldest = memo.firstUndelivered(maxDeletedID: info.maxDeletedEntryID, entriesRead: item.entriesRead, lastEntryID: last)
        return (memo, lag, oldest)
    }

    /// When counting the delivered entries reads fewer than counting the undelivered ones, how
    /// many to read from the first entry on; nil to count the undelivered ones.
    ///
    /// Only for a stream whose every entry ever added is still there (`entries-added` equals
    /// the length, so Redis 7.0 or later): its entries at or before last-delivered-id can only
    /// change by a deletion, and one that removes the first entry shows in the reply. Redis'
    /// untrusted lag says where last-delivered-id probably is; the reply itself says where it
    /// is (the first entry after it is in the page), or the count starts over the usual way.
    private func deliveredPage(redisLag: Int?, info: StreamInfo) -> Int? {
        guard let redisLag, info.entriesAdded == info.length, info.firstEntryID != nil,
              (1..<info.length).contains(redisLag) else { return nil }
        let delivered = info.length - redisLag
        // Fewer delivered than undelivered, or the page below is not smaller; checked first, so
        // that a length near Int.max (from a hostile reply) cannot overflow the sum.
        guard delivered < redisLag else { return nil }
        // The delivered ones, the first undelivered one, and a little room for a hint that is off.
        let page = delivered + 1 + max(1, delivered / 16)
        guard page < redisLag, page <= min(settings.countPageSize, settings.countLimit) else { return nil }
        return page
    }

    /// Pipelined range reads until every group's oldest undelivered entry is known and every
    /// count is done or has reached the limit. Round trips: 1 + ceil(limit / page) at most.
    func resolveLag(_ work: inout [LagWork], via redis: some RedisPipeline, _ stats: inout PollStats) throws {
        while true {
            var reads: [LagRead] = []
            for i in work.indices { queueRead(work, i, &reads) }
            if reads.isEmpty { break }
            let commands = reads.map(\.command)
            count(commands, &stats)
            try redis.pipeline(commands) { index, reply in
                let read = reads[index]
                advance(&work[read.index], pageSize: read.size, reply: reply, &stats)
            }
        }
    }

    /// The range read `work[index]` needs next, if any, added to `reads`.
    func queueRead(_ work: [LagWork], _ index: Int, _ reads: inout [LagRead]) {
        let item = work[index]
        switch item.phase {
        case .done: return
        case .findOldest(let from), .confirming(let from, _, _):
            reads.append(LagRead(index: index, size: 1, command: Commands.range(item.key, from: from, count: 1)))
        case .counting(let from, let counted):
            let size = min(settings.countPageSize, settings.countLimit - counted)
            reads.append(LagRead(index: index, size: size, command: Commands.range(item.key, from: from, count: size)))
        case .countingDelivered(let page):
            guard let first = item.firstEntryID else { return }
            reads.append(LagRead(index: index, size: page, command: Commands.range(item.key, from: first, count: page)))
        }
    }

    /// Moves one group on by one range reply.
    func advance(_ item: inout LagWork, pageSize: Int, reply: ReplyView, _ stats: inout PollStats) {
        let ids: EntryRange
        do throws(ReplyError) {
            ids = try entryRange(of: reply, splitAt: item.lastDeliveredID, end: item.lastEntryID ?? .max)
        } catch {
            if error.kind == .redirected || error.kind == .unavailable {
                item.redirect = error.description
                item.phase = .done
                return
            }
            // The stream changed type or vanished between round trips: stop here.
            stats.skip(error.kind, "stream \(Name(item.key).display): \(error.description)")
            switch item.phase {
            case .counting(_, let counted):
                item.lag = counted
                item.exact = false
            case .countingDelivered, .confirming: item.exact = false  // no count to give: the lag stays unknown
            default: break
            }
            item.phase = .done
            return
        }
        if case .confirming(let from, let lag, let expected) = item.phase {
            // The first entry after last-delivered-id, up to the poll's last entry, is the one the
            // last poll's count found (or any, when it found none): the memo holds. Anything else
            // (an entry gone, the stream created again) is counted in the next round trip.
            if let first = ids.first, first <= (item.lastEntryID ?? .max), expected.map({ $0 == first }) ?? true {
                item.lag = lag
                item.firstUndelivered = first
                item.phase = .done
            } else {
                item.phase = .counting(from: from, counted: 0)
            }
            return
        }
        if case .countingDelivered = item.phase {
            // Exact when the page still starts at the poll's first entry (nothing before
            // last-delivered-id was trimmed) and reaches past last-delivered-id.
            if ids.first == item.firstEntryID, let above = ids.firstAbove, item.length - ids.atOrBelow >= 1 {
                item.lag = item.length - ids.atOrBelow
                item.firstUndelivered = above
                item.phase = .done
            } else if let next = item.lastDeliveredID.successor {
                item.phase = .counting(from: next, counted: 0)  // the next round trip, the usual way
            } else {
                item.lag = 0
                item.phase = .done
            }
            return
        }
        // A read from an ID at or before the poll's last entry must find that entry at least.
        // When it does not, the stream changed under the poll: figures read now would not
        // belong with those of round trip 1 (a deleted stream would count as lag 0).
        switch item.phase {
        case .findOldest(let from), .counting(let from, _):
            if let last = item.lastEntryID, from <= last, ids.first.map({ $0 > last }) ?? true {
                item.changed = true
                item.phase = .done
                return
            }
        default: break
        }
        if item.firstUndelivered == nil { item.firstUndelivered = ids.first }
        guard case .counting(_, let before) = item.phase else {
            item.phase = .done
            return
        }
        // Only the entries that round trip 1 saw: one added since is not in its length.
        let counted = before + ids.upToEnd
        let reachedEnd = ids.count < pageSize || (ids.last.map { $0 >= (item.lastEntryID ?? .max) } ?? true)
        if reachedEnd || counted >= settings.countLimit {
            item.lag = counted
            item.exact = reachedEnd  // else a lower bound
            item.phase = .done
        } else if let next = ids.last?.successor {
            item.phase = .counting(from: next, counted: counted)
        } else {
            item.lag = counted  // the largest ID: nothing can follow
            item.phase = .done
        }
    }

    /// Counts a round trip of `commands`.
    func count(_ commands: some Collection<[[UInt8]]>, _ stats: inout PollStats) {
        stats.roundTrips += 1
        stats.commands += commands.count
    }
}
