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

    /// Every group's (and consumer's, and stream's) labels are escaped once, into a block of
    /// bytes that each family's sample reuses; samples are written family by family, walking
    /// the snapshot by index (no copies of its values).
    static func writeSnapshotFamilies(_ snapshot: Snapshot, into w: inout TextWriter) {
        // A stale stream (its cluster node down) shows no series: no frozen figures.
        let streams = snapshot.streams.contains(where: \.stale) ? snapshot.streams.filter { !$0.stale } : snapshot.streams
        var groupBlocks: [[UInt8]] = []
        var groupAt: [(stream: Int, group: Int)] = []
        for (si, stream) in streams.enumerated() {
            for (gi, group) in stream.groups.enumerated() where group.exists {
                groupAt.append((si, gi))
                groupBlocks.append(TextWriter.labelBlock(MetricFamily.consumerLag.labels, [stream.name.display, group.name.display]))
            }
        }
        func groupFamily(_ f: MetricFamily, _ value: (GroupState) -> Double?) {
            var wroteFamily = false
            for (n, at) in groupAt.enumerated() {
                guard let v = value(streams[at.stream].groups[at.group]) else { continue }
                if !wroteFamily { w.family(f); wroteFamily = true }
                w.sample(f.name, block: groupBlocks[n], v)
            }
        }
        groupFamily(.consumerLag) { $0.lag.map(Double.init) }
        groupFamily(.consumerLagExact) { $0.lag == nil ? nil : ($0.lagExact ? 1 : 0) }
        groupFamily(.consumerLagSeconds) { $0.lagSeconds }
        groupFamily(.consumerPending) { Double($0.pending) }
        groupFamily(.oldestPendingIdle) { $0.oldestPendingIdleSeconds }
        groupFamily(.oldestPendingDeliveries) { $0.oldestPendingDeliveries.map(Double.init) }
        groupFamily(.entriesRead) { $0.entriesRead.map(Double.init) }
        groupFamily(.lastDeliveredTimestamp) { Collector.timestamp(of: $0.lastDeliveredID, nowMs: snapshot.redisTimeMs) }
        groupFamily(.groupConsumers) { Double($0.consumerCount) }
        groupFamily(.stalled) { $0.stalled ? 1 : 0 }
        groupFamily(.lagStatus) { Double($0.status.rawValue) }
        groupFamily(.drainSeconds) { $0.drainSeconds }
        groupFamily(.rewinds) { Double($0.rewinds) }

        var consumerBlocks: [[UInt8]] = []
        var consumerAt: [(stream: Int, group: Int, consumer: Int)] = []
        for at in groupAt {
            let stream = streams[at.stream]
            let group = stream.groups[at.group]
            for (ci, consumer) in group.consumers.enumerated() {
                consumerAt.append((at.stream, at.group, ci))
                consumerBlocks.append(TextWriter.labelBlock(
                    MetricFamily.instancePending.labels, [stream.name.display, group.name.display, consumer.name.display]))
            }
        }
        func consumerFamily(_ f: MetricFamily, _ value: (ConsumerState) -> Double?) {
            var wroteFamily = false
            for (n, at) in consumerAt.enumerated() {
                guard let v = value(streams[at.stream].groups[at.group].consumers[at.consumer]) else { continue }
                if !wroteFamily { w.family(f); wroteFamily = true }
                w.sample(f.name, block: consumerBlocks[n], v)
            }
        }
        consumerFamily(.instancePending) { Double($0.pending) }
        consumerFamily(.instanceIdle) { $0.idleSeconds }
        consumerFamily(.instanceInactive) { $0.inactiveSeconds }

        var streamBlocks: [[UInt8]] = []
        var streamAt: [Int] = []
        for (si, stream) in streams.enumerated() where stream.exists {
            streamAt.append(si)
            streamBlocks.append(TextWriter.labelBlock(MetricFamily.streamLength.labels, [stream.name.display]))
        }
        func streamFamily(_ f: MetricFamily, _ value: (StreamState) -> Double?) {
            var wroteFamily = false
            for (n, si) in streamAt.enumerated() {
                guard let v = value(streams[si]) else { continue }
                if !wroteFamily { w.family(f); wroteFamily = true }
                w.sample(f.name, block: streamBlocks[n], v)
            }
        }
        streamFamily(.streamLength) { Double($0.length) }
        streamFamily(.streamGroups) { Double($0.groupCount) }
        streamFamily(.streamEntriesAdded) { $0.entriesAdded.map(Double.init) }
        streamFamily(.streamLastEntryTimestamp) { Collector.timestamp(of: $0.lastEntryID, nowMs: snapshot.redisTimeMs) }
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
