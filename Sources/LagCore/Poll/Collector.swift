public import RedisProtocol

/// What one poll cost and what it skipped.
public struct PollStats: Sendable, Equatable {
    public var roundTrips = 0
    public var commands = 0
    /// Things skipped and counted, by reason (`wrongtype`, `missing_group`, ...).
    public var skipped: [String: Int] = [:]
    /// The first skip of each reason in this poll, in words (for a log line).
    public var firstSkip: [String: String] = [:]
    /// Groups whose last-delivered-id moved backwards in this poll (a log line each).
    public var rewound: [String] = []
    public init() {}

    /// Adds another share's counts (its first examples kept where this has none).
    public mutating func merge(_ other: PollStats) {
        roundTrips = max(roundTrips, other.roundTrips)
        commands += other.commands
        for (reason, count) in other.skipped { skipped[reason, default: 0] += count }
        for (reason, what) in other.firstSkip where firstSkip[reason] == nil { firstSkip[reason] = what }
        rewound += other.rewound
    }

    public mutating func skip(_ reason: ReplyError.Kind, _ what: @autoclosure () -> String) {
        skip(reason.rawValue, what())
    }

    /// Counts a skip; `what` is only built for the first of its reason in a poll.
    public mutating func skip(_ reason: String, _ what: @autoclosure () -> String) {
        skipped[reason, default: 0] += 1
        if firstSkip[reason] == nil { firstSkip[reason] = what() }
    }
}

/// Turns a few pipelined round trips into one `Snapshot`. Owned by the poller thread; the only
/// state it keeps between polls is each group's `GroupHistory`: when its last-delivered-id last
/// moved (stall clock), its samples over `--lag.window`, and its last exact lag (`CountMemo`).
public final class Collector {
    public struct Settings: Sendable {
        public var groups: [[UInt8]]?
        public var countLimit: Int
        public var stallAfter: Double
        public var maxConsumersPerGroup: Int
        public var thresholds: Thresholds
        /// Entries fetched per group per counting round trip.
        public var countPageSize: Int
        /// `--lag.window`, seconds.
        public var lagWindow: Double

        public init(config: ExporterConfig) {
            groups = config.groups
            countLimit = config.lagCountLimit
            stallAfter = config.stallAfter
            maxConsumersPerGroup = config.maxConsumersPerGroup
            thresholds = config.thresholds
            countPageSize = min(max(config.lagCountLimit, 1), 1000)
            lagWindow = config.lagWindow
        }
    }

    private struct GroupKey: Hashable {
        var stream: [UInt8]
        var group: [UInt8]

        /// The bytes eight at a time: hashing them one by one was a tenth of a poll's CPU.
        func hash(into hasher: inout Hasher) {
            Self.combine(stream, &hasher)
            Self.combine(group, &hasher)
        }

        private static func combine(_ bytes: [UInt8], _ hasher: inout Hasher) {
            hasher.combine(bytes.count)
            var word: UInt64 = 0
            var shift: UInt64 = 0
            for byte in bytes {
                word |= UInt64(byte) &<< shift
                shift &+= 8
                if shift == 64 {
                    hasher.combine(word)
                    word = 0
                    shift = 0
                }
            }
            if shift > 0 { hasher.combine(word) }
        }
    }

    private struct StallClock {
        var lastDeliveredID: StreamID
        var sinceMs: Int64
    }

    /// What is kept of a group from one poll to the next, dropped with the group. An object, so
    /// that the table holds a pointer a group (a 100,000-group table of the values themselves
    /// was 65 MB, twice while a poll built the next one) and a window grows in place.
    private final class GroupHistory {
        var stall: StallClock?
        var window: LagWindow
        /// The group's exact lag in the last poll and what its stream was then (Redis 7.0+,
        /// which reports `entries-added`), for a poll that would count it again.
        var memo: CountMemo?

        init(window: LagWindow) { self.window = window }
    }

    public let settings: Settings
    private var histories: [GroupKey: GroupHistory] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Polls `fixed` (always reported) and `discovered` (reported while they exist) streams.
    /// The snapshot is stamped with `wallClock()` read as the first round trip goes out.
    ///
    /// `version` is the server's, when known: it decides where Redis' own lag is right (see
    /// `LagTrust`); unknown means "count wherever Redis' figure could be wrong".
    public func poll(fixed: [Name], discovered: [Name], via redis: some RedisPipeline,
                     version: ServerVersion? = nil, wallClock: () -> Double) throws -> (Snapshot, PollStats) {
        var stats = PollStats()
        let fixedSet = Set(fixed)
        let names = Self.uniqueDisplay((fixed + discovered.filter { !fixedSet.contains($0) }).sorted(), &stats)
        // Every figure of the snapshot is read at or after this instant, the one of `TIME`.
        let collectedAt = wallClock()
        var part = try collect(names, fixed: fixedSet, via: redis, version: version)
        // A server that serves no key now (LOADING its data after a restart; TRYAGAIN,
        // CLUSTERDOWN) answers TIME but not XINFO: the poll fails, so that the last snapshot
        // is kept and shown stale, rather than every stream unreadable and no lag at all.
        if let (_, message) = part.redirected.first(where: {
            ReplyError.from(redisError: $0.message).kind == .unavailable
        }) {
            throw RedisError(.connect, "redis serves no key now: \(message)")
        }
        let collected = part.streams.count
        for (name, message) in part.redirected {  // not a cluster: a MOVED is an error like any other
            part.stats.skip(ReplyError.from(redisError: message).kind, "stream \(name.display): \(message)")
            if fixedSet.contains(name) { part.streams.append(StreamState(name: name, presence: .unreadable)) }
        }
        // `collect` gives the streams in key order; fixed ones just added go to their places,
        // the groups' work following them.
        if part.streams.count > collected { Self.sortByName(&part.streams, &part.work) }
        let (snapshot, partStats) = finish([consume part], collectedAt: collectedAt)
        stats.merge(partStats)
        return (snapshot, stats)
    }

    /// What one server's round trips gave for its share of the streams, before the stall clocks
    /// and statuses, which `finish` works out over every share of a poll.
    public struct Part: Sendable {
        public fileprivate(set) var streams: [StreamState]
        var work: [LagWork]
        /// Redis' clock (`TIME`) on that server, epoch ms.
        public let nowMs: Int64
        public var stats: PollStats
        /// Keys the server does not serve now (Redis Cluster `MOVED`/`ASK`, or `CLUSTERDOWN`,
        /// `TRYAGAIN`, `LOADING`), with Redis' words: neither reported nor counted here, for the
        /// caller to read on the right node or show as an earlier poll saw them.
        public let redirected: [(name: Name, message: String)]

        /// Streams of a server that did not answer, as an earlier poll saw them, shown stale.
        public static func stale(_ streams: [StreamState]) -> Part {
            Part(streams: streams.map { var s = $0; s.stale = true; return s }.sorted { $0.name < $1.name },
                 work: [], nowMs: 0, stats: PollStats(), redirected: [])
        }
    }

    /// The round trips of one poll on one server for `names` (sorted, unique): its clock, each
    /// stream's XINFO and last entry, then the lag work. Touches no state of the collector, so
    /// one collector may collect from several servers at once (the primaries of a cluster).
    public func collect(_ names: [Name], fixed fixedSet: Set<Name>, via redis: some RedisPipeline,
                        version: ServerVersion?) throws -> Part {
        try collect(names, fixed: fixedSet, via: redis, version: version, rereadChanged: true)
    }

    /// `rereadChanged`: a stream that changed between the round trips is read again, whole,
    /// once; when it changed again during that read, it is skipped (counted as
    /// `changed_during_poll`; a fixed stream stays, unreadable).
    private func collect(_ names: [Name], fixed fixedSet: Set<Name>, via redis: some RedisPipeline,
                         version: ServerVersion?, rereadChanged: Bool) throws -> Part {
        var stats = PollStats()
        var redirected: [(name: Name, message: String)] = []
        // Round trip 1: Redis' clock, then per stream everything XINFO FULL knows and its last
        // entry. Made as they are sent: held whole, 200,000 argv arrays at 100,000 streams were
        // 16 MB for the whole round trip (massif).
        let first = (0..<1 + 2 * names.count).lazy.map { Self.firstRoundTripCommand($0, names) }
        // Each reply is read as it arrives: the stream's XINFO, then (with its last entry) the
        // stream's state. Only the parsed figures are kept, never the replies.
        var nowMs: Int64 = 0
        var clockError: ReplyError?
        // Sized once: grown by doubling, the arrays held up to twice their elements, and each
        // growth held the old buffer next to the new one (a stream's state is ~170 bytes).
        var streams: [StreamState] = []
        streams.reserveCapacity(names.count)
        var work: [LagWork] = []
        work.reserveCapacity(names.count)
        var interned = NameInterner()
        var info: Result<StreamInfo, ReplyError> = .failure(ReplyError(.malformed, "no XINFO reply"))
        // Round trip 2 is queued stream by stream as round trip 1 is read, and goes out while
        // the rest of round trip 1 is still answered: the first undelivered entry of each group
        // with lag, and where Redis' lag is missing or not trusted, a first page of counting.
        var reads: [LagRead] = []
        var queued = 0
        count(first, &stats)
        try redis.pipeline(first, each: { index, reply, followUps in
            if index == 0 {
                do throws(ReplyError) { nowMs = try redisTimeMs(of: reply) } catch { clockError = error }
                return
            }
            guard clockError == nil else { return }
            if index % 2 == 1 {
                do throws(ReplyError) { info = .success(try StreamInfo(fullReply: reply)) } catch { info = .failure(error) }
                return
            }
            let name = names[index / 2 - 1]
            do throws(ReplyError) {
                let info = try info.get()
                let lastID = try entryRange(of: reply).first
                let added = work.count
                let stream = build(name: name, info: info, lastEntryID: lastID, nowMs: nowMs, version: version,
                                   streamIndex: streams.count, names: &interned, stats: &stats, work: &work,
                                   memo: { group in memo(stream: name, group: group) })
                streams.append(stream)
                for index in added..<work.count { queueRead(work, index, &reads) }
                while queued < reads.count {
                    followUps.append(reads[queued].command)
                    queued += 1
                }
            } catch {
                if error.kind == .redirected || error.kind == .unavailable {
                    redirected.append((name, error.description))
                    return
                }
                stats.skip(error.kind, "stream \(name.display): \(error.description)")
                guard fixedSet.contains(name) else { return }  // a discovered stream that vanished leaves
                // A fixed stream stays, with no groups: lag 0, reported as missing or unreadable.
                let presence: StreamState.Presence = switch error.kind {
                case .noSuchKey: .missing
                case .wrongType: .wrongType
                case .noPermission: .forbidden
                default: .unreadable
                }
                streams.append(StreamState(name: name, presence: presence))
            }
        }, then: { index, reply in
            let read = reads[index]
            advance(&work[read.index], pageSize: read.size, reply: reply, &stats)
        })
        if let clockError { throw clockError }
        if !reads.isEmpty {
            stats.roundTrips += 1
            stats.commands += reads.count
        }

        // Round trips 3..n: the counts that did not end within their first page.
        try resolveLag(&work, via: redis, &stats)
        // A key that moved between the round trips is read again, whole, where it is now.
        let moved = Dictionary(work.compactMap { item in item.redirect.map { (item.streamIndex, $0) } }, uniquingKeysWith: { a, _ in a })
        if !moved.isEmpty {
            for (i, message) in moved { redirected.append((streams[i].name, message)) }
            Self.remove(Set(moved.keys), from: &streams, &work)
        }
        // A stream that changed between the round trips (deleted, trimmed, created again) is
        // read again here, whole: its figures then are all of one moment, the later one.
        let changed = Set(work.filter(\.changed).map(\.streamIndex))
        if !changed.isEmpty {
            let changedNames = changed.sorted().map { streams[$0].name }
            Self.remove(changed, from: &streams, &work)
            if rereadChanged {
                let again = try collect(changedNames, fixed: fixedSet, via: redis, version: version, rereadChanged: false)
                stats.merge(again.stats)
                redirected += again.redirected
                let offset = streams.count
                streams += again.streams
                work += again.work.map { item in
                    var item = item
                    item.streamIndex += offset
                    return item
                }
                Self.sortByName(&streams, &work)
            } else {
                for name in changedNames {
                    stats.skip("changed_during_poll", "stream \(name.display): changed between the round trips of a poll twice")
                }
                let fixedChanged = changedNames.filter(fixedSet.contains)
                if !fixedChanged.isEmpty {
                    streams += fixedChanged.map { StreamState(name: $0, presence: .unreadable) }
                    Self.sortByName(&streams, &work)
                }
            }
        }
        return Part(streams: streams, work: work, nowMs: nowMs, stats: stats, redirected: redirected)
    }

    /// Command `index` of round trip 1: `TIME`, then for each stream its `XINFO STREAM … FULL`
    /// (odd indices) and its last entry (even ones).
    private static func firstRoundTripCommand(_ index: Int, _ names: [Name]) -> [[UInt8]] {
        if index == 0 { return Commands.time }
        let name = names[(index - 1) / 2]
        return index % 2 == 1 ? Commands.xinfoFull(name.bytes) : Commands.lastEntry(name.bytes)
    }

    /// The last poll's count of a group, if it kept one. Only read during a poll (by every
    /// primary's `collect` at once in a cluster); `finish` writes the table after them.
    private func memo(stream: Name, group: Name) -> CountMemo? {
        histories[GroupKey(stream: stream.bytes, group: group.bytes)]?.memo
    }

    /// Drops the streams at `indices` and their groups' work; the rest keep their order.
    private static func remove(_ indices: Set<Int>, from streams: inout [StreamState], _ work: inout [LagWork]) {
        var newIndex: [Int: Int] = [:]
        var kept: [StreamState] = []
        for (i, stream) in streams.enumerated() where !indices.contains(i) {
            newIndex[i] = kept.count
            kept.append(stream)
        }
        streams = kept
        work = work.compactMap { item in
            guard let index = newIndex[item.streamIndex] else { return nil }
            var item = item
            item.streamIndex = index
            return item
        }
    }

    /// Sorts the streams by key, their groups' work following them.
    private static func sortByName(_ streams: inout [StreamState], _ work: inout [LagWork]) {
        let order = streams.indices.sorted { streams[$0].name < streams[$1].name }
        var newIndex = [Int](repeating: 0, count: streams.count)
        for (new, old) in order.enumerated() { newIndex[old] = new }
        streams = order.map { streams[$0] }
        for i in work.indices { work[i].streamIndex = newIndex[work[i].streamIndex] }
    }

    /// One snapshot from the parts of a poll (one per server; each stream in one part): every
    /// group settled against its own server's clock, the stall clocks carried over or started
    /// (those of groups no longer seen are dropped), the streams in key order. The parts' stream
    /// lists must each be sorted; the snapshot's clock is the latest of theirs.
    ///
    /// `parts` is consumed: its streams become the snapshot's, settled in place. (A caller that
    /// kept its own reference made every stream's and group's array be copied before the first
    /// write: at 100,000 streams 74 MB next to the 80 MB it copied, massif.)
    public func finish(_ parts: consuming [Part], collectedAt: Double) -> (Snapshot, PollStats) {
        var stats = PollStats()
        var next: [GroupKey: GroupHistory] = [:]
        next.reserveCapacity(parts.reduce(0) { $0 + $1.work.count })
        var merged: [[StreamState]] = []
        for pi in parts.indices {
            stats.merge(parts[pi].stats)
            // Streams and groups are read by index, in place: a copy of each (its names and
            // arrays retained) cost a cache miss or two a group at 100,000 groups.
            let nowMs = parts[pi].nowMs
            for item in parts[pi].work {
                let (si, gi) = (item.streamIndex, item.groupIndex)
                let key = GroupKey(stream: parts[pi].streams[si].name.bytes, group: parts[pi].streams[si].groups[gi].name.bytes)
                let ldi = parts[pi].streams[si].groups[gi].lastDeliveredID ?? .zero
                let history = histories.removeValue(forKey: key) ?? GroupHistory(window: LagWindow(windowSeconds: settings.lagWindow))
                next[key] = history
                let isStalled = stalled(history, ldi, lag: item.lag ?? 0, nowMs: nowMs)
                Self.settle(&parts[pi].streams[si].groups[gi], item, stalled: isStalled,
                            nowMs: nowMs, thresholds: settings.thresholds)
                history.memo = Self.memo(of: item, entriesAdded: parts[pi].streams[si].entriesAdded)
                // A group deleted and created again between two polls starts afresh: it went
                // backwards, but has no consumer and nothing pending (a rewound group keeps both).
                if let last = history.window.last, ldi < last.lastDeliveredID,
                   parts[pi].streams[si].groups[gi].consumerCount == 0, parts[pi].streams[si].groups[gi].pending == 0 {
                    history.window = LagWindow(windowSeconds: settings.lagWindow)
                }
                let sample = LagWindow.Sample(timeMs: nowMs, lag: item.lag, entriesAdded: parts[pi].streams[si].entriesAdded,
                                              entriesRead: parts[pi].streams[si].groups[gi].entriesRead, lastDeliveredID: ldi)
                if history.window.add(sample) {
                    stats.rewound.append("stream \(parts[pi].streams[si].name.display) group \(parts[pi].streams[si].groups[gi].name.display): last-delivered-id moved back to \(ldi)")
                }
                let f = history.window.figures
                parts[pi].streams[si].groups[gi].produceRate = f.produceRate
                parts[pi].streams[si].groups[gi].consumeRate = f.consumeRate
                parts[pi].streams[si].groups[gi].trend = f.trend
                parts[pi].streams[si].groups[gi].drainSeconds = f.drainSeconds
                parts[pi].streams[si].groups[gi].rewinds = f.rewinds
            }
            merged.append(parts[pi].streams)
        }
        // Groups not seen in this poll are dropped with what is left of the old table.
        histories = next
        let streams = merged.count == 1 ? merged[0] : Self.mergeSorted(merged)
        let nowMs = parts.map(\.nowMs).max() ?? 0
        return (Snapshot(collectedAt: collectedAt, redisTimeMs: nowMs, streams: streams), stats)
    }

    /// Sorted lists merged into one (a few parts of thousands: cheaper than sorting again).
    static func mergeSorted(_ lists: [[StreamState]]) -> [StreamState] {
        var out: [StreamState] = []
        out.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        var heads = Array(repeating: 0, count: lists.count)
        while true {
            var best = -1
            for i in lists.indices where heads[i] < lists[i].count {
                if best < 0 || lists[i][heads[i]].name < lists[best][heads[best]].name { best = i }
            }
            if best < 0 { return out }
            out.append(lists[best][heads[best]])
            heads[best] += 1
        }
    }

    /// What the next poll may build on: an exact lag, with the stream's length, first entry and
    /// `entries-added` of round trip 1, which the lag belongs with (a count stops at the last
    /// entry round trip 1 saw). None without `entries-added` (Redis 6.2).
    private static func memo(of item: LagWork, entriesAdded: Int?) -> CountMemo? {
        guard item.exact, !item.changed, let lag = item.lag, let entriesAdded else { return nil }
        return CountMemo(length: item.length, entriesAdded: entriesAdded, lag: lag, lastDeliveredID: item.lastDeliveredID,
                         firstEntryID: item.firstEntryID, lastEntryID: item.lastEntryID, firstUndelivered: item.firstUndelivered,
                         maxDeletedID: item.maxDeletedID, entriesRead: item.entriesRead)
    }

    /// A group's figures once its lag work is done (in place: no copy of the group).
    private static func settle(_ group: inout GroupState, _ item: LagWork, stalled: Bool, nowMs: Int64, thresholds: Thresholds) {
        group.lag = item.lag
        group.lagExact = item.exact
        if let lag = item.lag, lag == 0 {
            group.lagSeconds = 0
        } else if let id = item.firstUndelivered {
            group.lagSeconds = age(of: id, nowMs: nowMs)
        }
        group.stalled = stalled
        group.status = Status.of(lag: item.lag ?? 0, stalled: stalled, thresholds: thresholds)
    }

    /// Drops names whose display form (non-UTF-8 bytes as U+FFFD) repeats an earlier one: two
    /// series or JSON keys with the same labels would break a scrape. Counted as `duplicate_name`.
    public static func uniqueDisplay(_ names: [Name], _ stats: inout PollStats) -> [Name] {
        if names.count < 2 { return names }
        // Names of valid UTF-8 read as their bytes, so distinct names read distinctly: only a
        // name with bytes replaced can read as another. (A set of every stream's text each
        // poll was 2.6% of a poll's CPU at 100,000 streams, perf.)
        if names.allSatisfy(\.isValidUTF8) { return names }
        var seen = Set<String>()
        return names.filter { name in
            if seen.insert(name.display).inserted { return true }
            stats.skip("duplicate_name", "\(name.display) reads the same as another name once non-UTF-8 bytes are replaced")
            return false
        }
    }

    /// Burrow's STALL: lag > 0 and the group's position unchanged for `stallAfter`, the clock
    /// starting when the exporter first saw that position.
    private func stalled(_ history: GroupHistory, _ id: StreamID, lag: Int, nowMs: Int64) -> Bool {
        if let clock = history.stall, clock.lastDeliveredID == id {
            return lag > 0 && Double(nowMs - clock.sinceMs) >= settings.stallAfter * 1000
        }
        history.stall = StallClock(lastDeliveredID: id, sinceMs: nowMs)
        return lag > 0 && settings.stallAfter <= 0
    }

    /// Seconds between an ID's millisecond part and Redis' clock, or nil when the ID is not a
    /// timestamp (before ten years ago, or more than a minute ahead: custom IDs).
    static func age(of id: StreamID, nowMs: Int64) -> Double? {
        guard let ms = Int64(exactly: id.ms) else { return nil }
        let tenYearsMs: Int64 = 10 * 365 * 86_400_000
        guard ms >= nowMs - tenYearsMs, ms <= nowMs + 60_000 else { return nil }
        return Double(max(nowMs - ms, 0)) / 1000
    }

    static func timestamp(of id: StreamID?, nowMs: Int64) -> Double? {
        guard let id, age(of: id, nowMs: nowMs) != nil else { return nil }
        return Double(id.ms) / 1000
    }
}
