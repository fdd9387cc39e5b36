import RedisProtocol

/// One monitored group whose lag or oldest undelivered entry still needs Redis.
struct LagWork {
    var streamIndex: Int
    var groupIndex: Int
    var key: [UInt8]
    var lastDeliveredID: StreamID
    var lastEntryID: StreamID?
    /// Known lag (from Redis, or decided without counting); nil while counting.
    var lag: Int?
    var exact = true
    /// Whether the entries after last-delivered-id must be counted (Redis gave no lag).
    var counting = false
    var counted = 0
    /// Where the next range starts (inclusive); nil when nothing is left to read.
    var cursor: StreamID?
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

        let byName = Dictionary(info.groups.map { (Name($0.name), $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = settings.groups.map { $0.map(Name.init) } ?? info.groups.map { Name($0.name) }
        var work: [LagWork] = []
        for groupName in Self.uniqueDisplay(Set(wanted).sorted(), &stats) {
            guard let g = byName[groupName] else {
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
            let consumerNames = Set(Self.uniqueDisplay(g.consumers.map { Name($0.name) }.sorted(), &stats))
            group.consumers = g.consumers
                .filter { consumerNames.contains(Name($0.name)) }
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
            if ldi < first { item.firstUndelivered = first } else { item.cursor = ldi.successor }
            return
        }
        item.cursor = ldi.successor
        if let redisLag, LagTrust.trusts(redisLag: redisLag, length: info.length,
                                         entriesAdded: info.entriesAdded, version: version) {
            item.lag = redisLag
        } else {
            item.counting = true
        }
    }

    /// Pipelined range reads until every group's oldest undelivered entry is known and every
    /// count is done or has reached the limit. Round trips: 1 + ceil(limit / page) at most.
    func resolveLag(_ work: inout [LagWork], via redis: some RedisPipeline, _ stats: inout PollStats) throws {
        while true {
            let active = work.indices.filter { i in
                work[i].cursor != nil && (work[i].counting || work[i].firstUndelivered == nil)
            }
            if active.isEmpty { break }
            var commands: [[[UInt8]]] = []
            var sizes: [Int] = []
            for i in active {
                let size = work[i].counting
                    ? min(settings.countPageSize, settings.countLimit - work[i].counted) : 1
                sizes.append(size)
                commands.append(Commands.range(work[i].key, from: work[i].cursor!, count: size))
            }
            let replies = try send(commands, via: redis, &stats)
            for (n, i) in active.enumerated() {
                let ids: [StreamID]
                do {
                    ids = try entryIDs(of: replies[n])
                } catch {
                    // The stream changed type or vanished between round trips: stop here.
                    stats.skip(error.kind, "stream \(Name(work[i].key).display): \(error.description)")
                    finish(&work[i], exact: false)
                    continue
                }
                if work[i].firstUndelivered == nil { work[i].firstUndelivered = ids.first }
                guard work[i].counting else {
                    work[i].cursor = nil
                    continue
                }
                work[i].counted += ids.count
                let reachedEnd = ids.count < sizes[n] || (ids.last.map { $0 >= (work[i].lastEntryID ?? .max) } ?? true)
                if reachedEnd {
                    finish(&work[i], exact: true)
                } else if work[i].counted >= settings.countLimit {
                    finish(&work[i], exact: false)  // a lower bound
                } else {
                    work[i].cursor = ids.last?.successor
                    if work[i].cursor == nil { finish(&work[i], exact: true) }
                }
            }
        }
    }

    private func finish(_ item: inout LagWork, exact: Bool) {
        if item.counting {
            item.lag = item.counted
            item.exact = exact
            item.counting = false
        }
        item.cursor = nil
    }

    func send(_ commands: [[[UInt8]]], via redis: some RedisPipeline, _ stats: inout PollStats) throws -> [RedisReply] {
        stats.roundTrips += 1
        stats.commands += commands.count
        return try redis.pipeline(commands)
    }
}
