import RedisProtocol

/// One monitored group whose lag or oldest undelivered entry may still need Redis.
struct LagWork {
    /// What is left to read for the group; each read moves it on, ending at `.done`.
    enum Phase {
        /// The lag and the oldest undelivered entry are known (or there is none).
        case done
        /// The lag is known; the oldest undelivered entry is the first at or after `from`.
        case findOldest(from: StreamID)
        /// Redis' lag is missing or not trusted: entries at or after `from` are being counted.
        case counting(from: StreamID, counted: Int)
    }

    var streamIndex: Int
    var groupIndex: Int
    var key: [UInt8]
    var lastDeliveredID: StreamID
    var lastEntryID: StreamID?
    var phase: Phase = .done
    /// The lag, once known; nil only while counting.
    var lag: Int?
    /// False when the count stopped at the limit (a lower bound) or could not finish.
    var exact = true
    var firstUndelivered: StreamID?
}

extension Collector {
    /// Builds a stream's state from its XINFO reply and lists what its groups still need.
    func build(name: Name, info: StreamInfo, lastEntryID: StreamID?, nowMs: Int64, version: ServerVersion?,
               streamIndex: Int, stats: inout PollStats) -> (StreamState, [LagWork]) {
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
            ? Dictionary(info.groups.map { (Name($0.name), $0) }, uniquingKeysWith: { a, _ in a }) : nil
        let wanted = settings.groups.map { $0.map(Name.init) } ?? info.groups.map { Name($0.name) }
        var work: [LagWork] = []
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
            let allNames = g.consumers.map { Name($0.name) }.sorted()
            let kept = Self.uniqueDisplay(allNames, &stats)
            // Only when a name was dropped does each consumer need checking.
            let consumerNames = kept.count == allNames.count ? nil : Set(kept)
            group.consumers = g.consumers
                .filter { consumerNames?.contains(Name($0.name)) ?? true }
                .map { c in
                    ConsumerState(
                        name: Name(c.name), pending: c.pelCount,
                        idleSeconds: c.seenTimeMs.flatMap { elapsed(since: $0, nowMs: nowMs, &stats) },
                        inactiveSeconds: c.activeTimeMs.flatMap { elapsed(since: $0, nowMs: nowMs, &stats) })
                }
                .sorted { $0.name < $1.name }
                .prefix(settings.maxConsumersPerGroup)
                .map { $0 }
            var item = LagWork(streamIndex: streamIndex, groupIndex: stream.groups.count, key: name.bytes,
                               lastDeliveredID: g.lastDeliveredID, lastEntryID: lastEntryID)
            plan(&item, redisLag: g.lag, info: info, version: version)
            stream.groups.append(group)
            work.append(item)
        }
        return (stream, work)
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
    private func plan(_ item: inout LagWork, redisLag: Int?, info: StreamInfo, version: ServerVersion?) {
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
            item.lag = ldi < first ? info.length : info.length - 1
            if ldi < first {
                item.firstUndelivered = first
            } else if let next = ldi.successor {
                item.phase = .findOldest(from: next)
            }
            return
        }
        // Inside the stream: LD < last entry, so LD has a successor.
        guard let next = ldi.successor else { return }
        if let redisLag, LagTrust.trusts(redisLag: redisLag, length: info.length,
                                         entriesAdded: info.entriesAdded, version: version) {
            item.lag = redisLag
            item.phase = .findOldest(from: next)
        } else {
            item.phase = .counting(from: next, counted: 0)
        }
    }

    /// Pipelined range reads until every group's oldest undelivered entry is known and every
    /// count is done or has reached the limit. Round trips: 1 + ceil(limit / page) at most.
    func resolveLag(_ work: inout [LagWork], via redis: some RedisPipeline, _ stats: inout PollStats) throws {
        while true {
            var reads: [(index: Int, from: StreamID, size: Int)] = []
            for (i, item) in work.enumerated() {
                switch item.phase {
                case .done: continue
                case .findOldest(let from): reads.append((i, from, 1))
                case .counting(let from, let counted):
                    reads.append((i, from, min(settings.countPageSize, settings.countLimit - counted)))
                }
            }
            if reads.isEmpty { break }
            let commands = reads.map { Commands.range(work[$0.index].key, from: $0.from, count: $0.size) }
            count(commands, &stats)
            try redis.pipeline(commands) { index, reply in
                let read = reads[index]
                advance(&work[read.index], pageSize: read.size, reply: reply, &stats)
            }
        }
    }

    /// Moves one group on by one range reply.
    private func advance(_ item: inout LagWork, pageSize: Int, reply: ReplyView, _ stats: inout PollStats) {
        let ids: EntryRange
        do throws(ReplyError) {
            ids = try entryRange(of: reply)
        } catch {
            // The stream changed type or vanished between round trips: stop here.
            stats.skip(error.kind, "stream \(Name(item.key).display): \(error.description)")
            if case .counting(_, let counted) = item.phase {
                item.lag = counted
                item.exact = false
            }
            item.phase = .done
            return
        }
        if item.firstUndelivered == nil { item.firstUndelivered = ids.first }
        guard case .counting(_, let before) = item.phase else {
            item.phase = .done
            return
        }
        let counted = before + ids.count
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
    func count(_ commands: [[[UInt8]]], _ stats: inout PollStats) {
        stats.roundTrips += 1
        stats.commands += commands.count
    }
}
