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
        var body = snapshot.map { snapshotFamilies($0, format: format) } ?? ""
        body += exporterFamilies(status, redisUp: snapshot != nil, build: build, process: process, format: format)
        if format == .openMetrics { body += "# EOF\n" }
        return body
    }

    /// The snapshot's families (lag, pending, streams...). Empty when there is no snapshot.
    public static func snapshotFamilies(_ snapshot: Snapshot, format: ExpositionFormat = .text) -> String {
        let groups = snapshot.streams.flatMap { stream in stream.groups.filter(\.exists).map { (stream, $0) } }
        var w = TextWriter(capacity: 256 + groups.count * 1200, format: format)
        func groupFamily(_ f: MetricFamily, _ value: (GroupState) -> Double?) {
            let values = groups.compactMap { s, g in value(g).map { (s, g, $0) } }
            guard !values.isEmpty else { return }
            w.family(f)
            for (s, g, v) in values { w.sample(f, [s.name.display, g.name.display], v) }
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

        let consumers = groups.flatMap { s, g in g.consumers.map { (s, g, $0) } }
        func consumerFamily(_ f: MetricFamily, _ value: (ConsumerState) -> Double?) {
            let values = consumers.compactMap { s, g, c in value(c).map { (s, g, c, $0) } }
            guard !values.isEmpty else { return }
            w.family(f)
            for (s, g, c, v) in values { w.sample(f, [s.name.display, g.name.display, c.name.display], v) }
        }
        consumerFamily(.instancePending) { Double($0.pending) }
        consumerFamily(.instanceIdle) { $0.idleSeconds }
        consumerFamily(.instanceInactive) { $0.inactiveSeconds }

        let streams = snapshot.streams.filter(\.exists)
        func streamFamily(_ f: MetricFamily, _ value: (StreamState) -> Double?) {
            let values = streams.compactMap { s in value(s).map { (s, $0) } }
            guard !values.isEmpty else { return }
            w.family(f)
            for (s, v) in values { w.sample(f, [s.name.display], v) }
        }
        streamFamily(.streamLength) { Double($0.length) }
        streamFamily(.streamGroups) { Double($0.groupCount) }
        streamFamily(.streamEntriesAdded) { $0.entriesAdded.map(Double.init) }
        streamFamily(.streamLastEntryTimestamp) { Collector.timestamp(of: $0.lastEntryID, nowMs: snapshot.redisTimeMs) }
        return w.out
    }

    /// The exporter's own families, `event_redis_up`, build info and `process_*`.
    public static func exporterFamilies(_ status: ExporterStatus, redisUp: Bool, build: BuildInfo,
                                        process: ProcessStats?, format: ExpositionFormat = .text) -> String {
        var w = TextWriter(format: format)
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
        w.family(.buildInfo)
        w.sample(.buildInfo, [build.version, build.swiftVersion, build.hiredisVersion, build.microhttpdVersion], 1)
        if let p = process { p.render(into: &w) }
        return w.out
    }
}
