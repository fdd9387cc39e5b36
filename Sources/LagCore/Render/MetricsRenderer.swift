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
                              process: ProcessStats?, format: ExpositionFormat, into sink: ([UInt8]) -> Void) {
        write(MetricsLayout(snapshot: snapshot, status: status, build: build, process: process, format: format), into: sink)
    }

    /// A laid-out body, handed to `sink` in chunks of about 64 KB.
    public static func write(_ layout: MetricsLayout, into sink: ([UInt8]) -> Void) {
        var cursor = MetricsLayout.Cursor(layout)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(renderChunk + 4096)
        while cursor.write(into: &chunk, atLeast: renderChunk) {
            sink(chunk)
            chunk.removeAll(keepingCapacity: true)
        }
    }

    /// `render`, as the bytes that are served.
    public static func renderBytes(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo,
                                   process: ProcessStats?, format: ExpositionFormat) -> [UInt8] {
        MetricsLayout(snapshot: snapshot, status: status, build: build, process: process, format: format).bytes
    }

    /// The snapshot's families (lag, pending, streams...), without the exporter's own.
    public static func snapshotFamilies(_ snapshot: Snapshot, format: ExpositionFormat = .text) -> String {
        let layout = MetricsLayout(tables: SnapshotTables(snapshot), status: ExporterStatus(),
                                   build: BuildInfo(version: "", swiftVersion: "", hiredisVersion: "", microhttpdVersion: ""),
                                   process: nil, format: format, exporterFamilies: false)
        return String(decoding: layout.bytes, as: UTF8.self)
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
