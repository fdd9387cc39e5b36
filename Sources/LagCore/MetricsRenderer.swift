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
        func labels(_ s: StreamState, _ g: GroupState) -> [(String, String)] {
            [("stream", s.name.display), ("consumer_group", g.name.display)]
        }
        func groupFamily(_ name: String, _ type: String, _ help: String, _ value: (GroupState) -> Double?) {
            let values = groups.compactMap { s, g in value(g).map { (s, g, $0) } }
            guard !values.isEmpty else { return }
            w.family(name, type, help)
            for (s, g, v) in values { w.sample(name, labels(s, g), v) }
        }
        groupFamily("event_consumer_lag", "gauge", "Entries in the stream not yet delivered to the consumer group.") {
            $0.lag.map(Double.init)
        }
        groupFamily("event_consumer_lag_exact", "gauge", "1 when event_consumer_lag is exact, 0 when it is a lower bound.") {
            $0.lag == nil ? nil : ($0.lagExact ? 1 : 0)
        }
        groupFamily("event_consumer_lag_seconds", "gauge", "Age of the oldest undelivered entry, by Redis' clock.") { $0.lagSeconds }
        groupFamily("event_consumer_pending", "gauge", "Entries delivered to the group but not acknowledged.") { Double($0.pending) }
        groupFamily("event_consumer_oldest_pending_idle_seconds", "gauge", "Idle time of the group's oldest pending entry.") {
            $0.oldestPendingIdleSeconds
        }
        groupFamily("event_consumer_oldest_pending_deliveries", "gauge", "Delivery count of the group's oldest pending entry.") {
            $0.oldestPendingDeliveries.map(Double.init)
        }
        groupFamily("event_consumer_entries_read_total", "counter", "Entries the group has read (Redis >= 7.0).") {
            $0.entriesRead.map(Double.init)
        }
        groupFamily("event_consumer_last_delivered_timestamp_seconds", "gauge", "Time part of the group's last-delivered-id, seconds since the epoch.") {
            Collector.timestamp(of: $0.lastDeliveredID, nowMs: snapshot.redisTimeMs)
        }
        groupFamily("event_consumer_group_consumers", "gauge", "Consumers in the group.") { Double($0.consumerCount) }
        groupFamily("event_consumer_stalled", "gauge", "1 when the group has lag and its last-delivered-id has not moved for --lag.stall-after.") {
            $0.stalled ? 1 : 0
        }
        groupFamily("event_consumer_lag_status", "gauge", "Group status: 0 healthy, 1 degraded, 2 unhealthy.") { Double($0.status.rawValue) }

        let consumers = groups.flatMap { s, g in g.consumers.map { (s, g, $0) } }
        func consumerFamily(_ name: String, _ help: String, _ value: (ConsumerState) -> Double?) {
            let values = consumers.compactMap { s, g, c in value(c).map { (s, g, c, $0) } }
            guard !values.isEmpty else { return }
            w.family(name, "gauge", help)
            for (s, g, c, v) in values { w.sample(name, labels(s, g) + [("consumer", c.name.display)], v) }
        }
        consumerFamily("event_consumer_instance_pending", "Entries pending for this consumer.") { Double($0.pending) }
        consumerFamily("event_consumer_instance_idle_seconds", "Seconds since the consumer's last attempted interaction.") { $0.idleSeconds }
        consumerFamily("event_consumer_instance_inactive_seconds", "Seconds since the consumer's last successful interaction (Redis >= 7.2).") {
            $0.inactiveSeconds
        }

        let streams = snapshot.streams.filter(\.exists)
        func streamFamily(_ name: String, _ type: String, _ help: String, _ value: (StreamState) -> Double?) {
            let values = streams.compactMap { s in value(s).map { (s, $0) } }
            guard !values.isEmpty else { return }
            w.family(name, type, help)
            for (s, v) in values { w.sample(name, [("stream", s.name.display)], v) }
        }
        streamFamily("event_stream_length", "gauge", "Entries in the stream (XLEN).") { Double($0.length) }
        streamFamily("event_stream_groups", "gauge", "Consumer groups of the stream, monitored or not.") { Double($0.groupCount) }
        streamFamily("event_stream_entries_added_total", "counter", "Entries ever added to the stream (Redis >= 7.0).") {
            $0.entriesAdded.map(Double.init)
        }
        streamFamily("event_stream_last_entry_timestamp_seconds", "gauge", "Time part of the stream's last entry ID, seconds since the epoch.") {
            Collector.timestamp(of: $0.lastEntryID, nowMs: snapshot.redisTimeMs)
        }
        return w.out
    }

    /// The exporter's own families, `event_redis_up`, build info and `process_*`.
    public static func exporterFamilies(_ status: ExporterStatus, redisUp: Bool, build: BuildInfo,
                                        process: ProcessStats?, format: ExpositionFormat = .text) -> String {
        var w = TextWriter(format: format)
        w.family("event_redis_up", "gauge", "1 when the last poll of Redis succeeded.")
        w.sample("event_redis_up", redisUp ? 1 : 0)
        w.family("event_exporter_poll_duration_seconds", "histogram", "Duration of polls of Redis.")
        for (bound, count) in status.pollDurations.cumulative {
            w.sample("event_exporter_poll_duration_seconds_bucket", [("le", w.bound(bound))], count)
        }
        w.sample("event_exporter_poll_duration_seconds_sum", status.pollDurations.sum)
        w.sample("event_exporter_poll_duration_seconds_count", status.pollDurations.count)
        w.family("event_exporter_polls_total", "counter", "Polls of Redis attempted.")
        w.sample("event_exporter_polls_total", status.pollsTotal)
        w.family("event_exporter_poll_errors_total", "counter", "Failed polls and items skipped during polls, by reason.")
        for (reason, count) in status.pollErrors.sorted(by: { $0.key < $1.key }) {
            w.sample("event_exporter_poll_errors_total", [("reason", reason)], count)
        }
        if let last = status.lastSuccessAt {
            w.family("event_exporter_last_poll_success_timestamp_seconds", "gauge", "When the last successful poll finished, seconds since the epoch.")
            w.sample("event_exporter_last_poll_success_timestamp_seconds", (last * 1000).rounded() / 1000)
        }
        w.family("event_exporter_poll_redis_round_trips", "gauge", "Pipelined Redis round trips of the last poll.")
        w.sample("event_exporter_poll_redis_round_trips", status.lastRoundTrips)
        w.family("event_exporter_poll_redis_commands", "gauge", "Redis commands sent by the last poll.")
        w.sample("event_exporter_poll_redis_commands", status.lastCommands)
        w.family("event_exporter_streams_monitored", "gauge", "Streams monitored (fixed and discovered).")
        w.sample("event_exporter_streams_monitored", status.streamsMonitored)
        w.family("event_exporter_streams_dropped", "gauge", "Discovered streams left out because of --streams.max.")
        w.sample("event_exporter_streams_dropped", status.streamsDropped)
        w.family("event_exporter_build_info", "gauge", "Versions of the exporter and its libraries; always 1.")
        w.sample("event_exporter_build_info", [
            ("version", build.version), ("swift_version", build.swiftVersion),
            ("hiredis_version", build.hiredisVersion), ("microhttpd_version", build.microhttpdVersion),
        ], 1)
        if let p = process { p.render(into: &w) }
        return w.out
    }
}
