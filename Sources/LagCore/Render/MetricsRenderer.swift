/// Versions reported by `event_exporter_build_info`.
public struct BuildInfo: Sendable, Equatable {
    public var version: String
    public var swiftVersion: String
    public var hiredisVersion: String
    public var microhttpdVersion: String
    public init(version: String, swiftVersion: String, hiredisVersion: String, microhttpdVersion: String) {
        self.version = version
        self.swiftVersion = swiftVersion
        self.hiredisVersion = hiredisVersion
        self.microhttpdVersion = microhttpdVersion
    }
}

/// Renders Prometheus text format 0.0.4 from a snapshot and the exporter's status.
public enum MetricsRenderer {
    public static let contentType = ExpositionFormat.text.contentType

    /// A whole `/metrics` body: the snapshot's families when there is a current snapshot (pass nil
    /// when the data is stale or the last poll failed), then the exporter's own families.
    public static func render(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo,
                              process: ProcessStats?, format: ExpositionFormat) -> String {
        String(decoding: renderBytes(snapshot: snapshot, status: status, build: build, process: process, format: format),
               as: UTF8.self)
    }

    /// `render`, handed to `sink` in chunks of about 64 KB as it is written: the caller can
    /// build the response as the body grows, and the body is never held twice.
    public static func render(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo,
                              process: ProcessStats?, format: ExpositionFormat, into sink: @escaping ([UInt8]) -> Void) {
        var w = TextWriter(format: format, flush: sink)
        if let snapshot { writeSnapshotFamilies(snapshot, into: &w) }
        writeExporterFamilies(status, redisUp: snapshot != nil, build: build, process: process, into: &w)
        if format == .openMetrics { w.bytes.append("# EOF\n") }
        w.finish()
    }

    /// `render`, as the bytes that are served.
    public static func renderBytes(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo,
                                   process: ProcessStats?, format: ExpositionFormat) -> [UInt8] {
        var w = TextWriter(capacity: 4096 + (snapshot?.streams.count ?? 0) * 1600, format: format)
        if let snapshot { writeSnapshotFamilies(snapshot, into: &w) }
        writeExporterFamilies(status, redisUp: snapshot != nil, build: build, process: process, into: &w)
        if format == .openMetrics { w.bytes.append("# EOF\n") }
        return w.bytes
    }

    /// The snapshot's families (lag, pending, streams...). Empty when there is no snapshot.
    public static func snapshotFamilies(_ snapshot: Snapshot, format: ExpositionFormat = .text) -> String {
        var w = TextWriter(capacity: 256 + snapshot.streams.count * 1600, format: format)
        writeSnapshotFamilies(snapshot, into: &w)
        return w.out
    }

    /// Every group's (and consumer's, and stream's) labels are escaped once, into one buffer of
    /// label blocks that each family's sample reuses; every value is read once, in a single
    /// walk of the snapshot, into a table; then the samples are written family by family from
    /// the table. (Walking the snapshot once per family read each group's storage 13 times,
    /// a cache miss each time at 100,000 streams, and copied groups with their names.)
    static func writeSnapshotFamilies(_ snapshot: Snapshot, into w: inout TextWriter) {
        // A stale stream (its cluster node down) shows no series: no frozen figures.
        let stale = snapshot.streams.indices.contains { snapshot.streams[$0].stale }
        let streams = stale ? snapshot.streams.filter { !$0.stale } : snapshot.streams
        let nowMs = snapshot.redisTimeMs

        // Groups: a value is read as `streams[s].groups[g].field`, in place.
        let groupFamilies: [(MetricFamily, (_ s: Int, _ g: Int) -> Double?)] = [
            (.consumerLag, { streams[$0].groups[$1].lag.map(Double.init) }),
            (.consumerLagExact, { streams[$0].groups[$1].lag == nil ? nil : (streams[$0].groups[$1].lagExact ? 1 : 0) }),
            (.consumerLagSeconds, { streams[$0].groups[$1].lagSeconds }),
            (.consumerPending, { Double(streams[$0].groups[$1].pending) }),
            (.oldestPendingIdle, { streams[$0].groups[$1].oldestPendingIdleSeconds }),
            (.oldestPendingDeliveries, { streams[$0].groups[$1].oldestPendingDeliveries.map(Double.init) }),
            (.entriesRead, { streams[$0].groups[$1].entriesRead.map(Double.init) }),
            (.lastDeliveredTimestamp, { Collector.timestamp(of: streams[$0].groups[$1].lastDeliveredID, nowMs: nowMs) }),
            (.groupConsumers, { Double(streams[$0].groups[$1].consumerCount) }),
            (.stalled, { streams[$0].groups[$1].stalled ? 1 : 0 }),
            (.lagStatus, { Double(streams[$0].groups[$1].status.rawValue) }),
            (.drainSeconds, { streams[$0].groups[$1].drainSeconds }),
            (.rewinds, { Double(streams[$0].groups[$1].rewinds) }),
        ]
        // The lists are read by index: a `for (family, value) in` copied each pair, retaining
        // the family's strings, 13 times a group.
        var groups = FamilyTable(families: groupFamilies.count)
        for si in streams.indices {
            for gi in streams[si].groups.indices where streams[si].groups[gi].exists {
                groups.addRow(labels: MetricFamily.consumerLag.labels,
                              [streams[si].name.display, streams[si].groups[gi].name.display])
                for k in groupFamilies.indices { groups.add(groupFamilies[k].1(si, gi)) }
            }
        }
        groups.write(groupFamilies.map(\.0), into: &w)

        let consumerFamilies: [(MetricFamily, (_ consumer: ConsumerState) -> Double?)] = [
            (.instancePending, { Double($0.pending) }),
            (.instanceIdle, { $0.idleSeconds }),
            (.instanceInactive, { $0.inactiveSeconds }),
        ]
        var consumers = FamilyTable(families: consumerFamilies.count)
        for si in streams.indices {
            for gi in streams[si].groups.indices where streams[si].groups[gi].exists {
                for consumer in streams[si].groups[gi].consumers {
                    consumers.addRow(labels: MetricFamily.instancePending.labels,
                                     [streams[si].name.display, streams[si].groups[gi].name.display, consumer.name.display])
                    for k in consumerFamilies.indices { consumers.add(consumerFamilies[k].1(consumer)) }
                }
            }
        }
        consumers.write(consumerFamilies.map(\.0), into: &w)

        let streamFamilies: [(MetricFamily, (_ s: Int) -> Double?)] = [
            (.streamLength, { Double(streams[$0].length) }),
            (.streamGroups, { Double(streams[$0].groupCount) }),
            (.streamEntriesAdded, { streams[$0].entriesAdded.map(Double.init) }),
            (.streamLastEntryTimestamp, { Collector.timestamp(of: streams[$0].lastEntryID, nowMs: nowMs) }),
        ]
        var streamTable = FamilyTable(families: streamFamilies.count)
        for si in streams.indices where streams[si].exists {
            streamTable.addRow(labels: MetricFamily.streamLength.labels, [streams[si].name.display])
            for k in streamFamilies.indices { streamTable.add(streamFamilies[k].1(si)) }
        }
        streamTable.write(streamFamilies.map(\.0), into: &w)
    }

    /// The exporter's own families, `event_redis_up`, build info and `process_*`.
    public static func exporterFamilies(_ status: ExporterStatus, redisUp: Bool, build: BuildInfo,
                                        process: ProcessStats?, format: ExpositionFormat = .text) -> String {
        var w = TextWriter(format: format)
        writeExporterFamilies(status, redisUp: redisUp, build: build, process: process, into: &w)
        return w.out
    }

    static func writeExporterFamilies(_ status: ExporterStatus, redisUp: Bool, build: BuildInfo,
                                      process: ProcessStats?, into w: inout TextWriter) {
        w.family(.redisUp)
        w.sample(.redisUp, redisUp ? 1 : 0)
        let duration = MetricFamily.pollDuration
        w.family(duration)
        for (bound, count) in status.pollDurations.cumulative {
            w.sample(duration.name + "_bucket", [("le", w.bound(bound))], count)
        }
        w.sample(duration.name + "_sum", status.pollDurations.sum)
        w.sample(duration.name + "_count", status.pollDurations.count)
        w.family(.polls)
        w.sample(.polls, status.pollsTotal)
        w.family(.pollOverruns)
        w.sample(.pollOverruns, status.pollOverruns)
        w.family(.pollErrors)
        for (reason, count) in status.pollErrors.sorted(by: { $0.key < $1.key }) {
            w.sample(.pollErrors, [reason], Double(count))
        }
        if let last = status.lastSuccessAt {
            w.family(.lastPollSuccess)
            w.sample(.lastPollSuccess, (last * 1000).rounded() / 1000)
        }
        for (family, value) in [
            (MetricFamily.pollRoundTrips, status.lastRoundTrips), (.pollCommands, status.lastCommands),
            (.streamsMonitored, status.streamsMonitored), (.streamsDropped, status.streamsDropped),
        ] {
            w.family(family)
            w.sample(family, value)
        }
        if !status.nodes.isEmpty {
            let nodes = status.nodes.sorted { $0.key < $1.key }
            w.family(.nodeUp)
            for (node, s) in nodes { w.sample(.nodeUp, [node], s.up ? 1 : 0) }
            w.family(.nodePollDuration)
            for (node, s) in nodes { w.sample(.nodePollDuration, [node], s.pollSeconds) }
            w.family(.nodePollErrors)
            for (node, s) in nodes { w.sample(.nodePollErrors, [node], Double(s.errors)) }
        }
        w.family(.buildInfo)
        w.sample(.buildInfo, [build.version, build.swiftVersion, build.hiredisVersion, build.microhttpdVersion], 1)
        if let p = process { p.render(into: &w) }
    }
}

/// The series of several families that share their label sets (one row a group, consumer or
/// stream): the escaped label blocks in one buffer, and each row's value of each family (nil:
/// no sample). Filled row by row, written family by family.
struct FamilyTable {
    let families: Int
    private var blocks: [UInt8] = []
    private var blockEnds: [Int] = []
    private var values: [Double] = []
    private var present: [Bool] = []

    init(families: Int) { self.families = families }

    /// Starts a row: its labels, escaped once.
    mutating func addRow(labels names: [String], _ values: [String]) {
        TextWriter.appendLabelBlock(names, values, to: &blocks)
        blockEnds.append(blocks.count)
    }

    /// The row's value of the next family, in the order the families are written.
    mutating func add(_ value: Double?) {
        values.append(value ?? 0)
        present.append(value != nil)
    }

    /// Each family that has at least one value: HELP and TYPE, then its samples in row order.
    func write(_ list: [MetricFamily], into w: inout TextWriter) {
        for (k, family) in list.enumerated() {
            let name = Array(family.name.utf8)
            var wroteFamily = false
            var start = 0
            for row in blockEnds.indices {
                let end = blockEnds[row]
                defer { start = end }
                let at = row * families + k
                guard present[at] else { continue }
                if !wroteFamily { w.family(family); wroteFamily = true }
                w.sample(name, block: blocks[start..<end], values[at])
            }
        }
    }
}
