/// One metric family: its name, type, help and label names, spelled once here and read by the
/// text and OpenMetrics renderers, and by `docs/metrics.md` (generated from `MetricFamily.all`;
/// a test fails when the file is out of date).
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case gauge, counter, histogram
    }

    public let name: String
    public let kind: Kind
    public let help: String
    public let labels: [String]
    /// When the family is present (a Redis version, a condition); for the docs.
    public let note: String

    init(_ name: String, _ kind: Kind, _ labels: [String], _ help: String, note: String = "") {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.note = note
    }
}

extension MetricFamily {
    private static let group = ["stream", "consumer_group"]
    private static let consumer = ["stream", "consumer_group", "consumer"]
    private static let stream = ["stream"]

    // Per group.
    static let consumerLag = MetricFamily("event_consumer_lag", .gauge, group, "Entries in the stream not yet delivered to the consumer group.")
    static let consumerLagExact = MetricFamily("event_consumer_lag_exact", .gauge, group, "1 when event_consumer_lag is exact, 0 when it is a lower bound.")
    static let consumerLagSeconds = MetricFamily("event_consumer_lag_seconds", .gauge, group, "Age of the oldest undelivered entry, by Redis' clock.", note: "absent when IDs are not timestamps")
    static let consumerPending = MetricFamily("event_consumer_pending", .gauge, group, "Entries delivered to the group but not acknowledged.")
    static let oldestPendingIdle = MetricFamily("event_consumer_oldest_pending_idle_seconds", .gauge, group, "Idle time of the group's oldest pending entry.", note: "absent when nothing is pending")
    static let oldestPendingDeliveries = MetricFamily("event_consumer_oldest_pending_deliveries", .gauge, group, "Delivery count of the group's oldest pending entry.", note: "absent when nothing is pending")
    static let entriesRead = MetricFamily("event_consumer_entries_read_total", .counter, group, "Entries the group has read (Redis >= 7.0).", note: "Redis >= 7.0")
    static let lastDeliveredTimestamp = MetricFamily("event_consumer_last_delivered_timestamp_seconds", .gauge, group, "Time part of the group's last-delivered-id, seconds since the epoch.")
    static let groupConsumers = MetricFamily("event_consumer_group_consumers", .gauge, group, "Consumers in the group.")
    static let stalled = MetricFamily("event_consumer_stalled", .gauge, group, "1 when the group has lag and its last-delivered-id has not moved for --lag.stall-after.")
    static let lagStatus = MetricFamily("event_consumer_lag_status", .gauge, group, "Group status: 0 healthy, 1 degraded, 2 unhealthy.")
    static let drainSeconds = MetricFamily("event_consumer_drain_seconds", .gauge, group, "Estimated seconds until the lag is 0, at the net consume rate over --lag.window.", note: "absent while not draining; Redis >= 7.0")
    static let rewinds = MetricFamily("event_consumer_rewinds_total", .counter, group, "Times the group's last-delivered-id was seen moving backwards (XGROUP SETID to an earlier ID).")

    // Per consumer.
    static let instancePending = MetricFamily("event_consumer_instance_pending", .gauge, consumer, "Entries pending for this consumer.", note: "at most --consumers.max-per-group a group")
    static let instanceIdle = MetricFamily("event_consumer_instance_idle_seconds", .gauge, consumer, "Seconds since the consumer's last attempted interaction.", note: "at most --consumers.max-per-group a group")
    static let instanceInactive = MetricFamily("event_consumer_instance_inactive_seconds", .gauge, consumer, "Seconds since the consumer's last successful interaction (Redis >= 7.2).", note: "Redis >= 7.2")

    // Per stream.
    static let streamLength = MetricFamily("event_stream_length", .gauge, stream, "Entries in the stream (XLEN).")
    static let streamGroups = MetricFamily("event_stream_groups", .gauge, stream, "Consumer groups of the stream, monitored or not.")
    static let streamEntriesAdded = MetricFamily("event_stream_entries_added_total", .counter, stream, "Entries ever added to the stream (Redis >= 7.0).", note: "Redis >= 7.0")
    static let streamLastEntryTimestamp = MetricFamily("event_stream_last_entry_timestamp_seconds", .gauge, stream, "Time part of the stream's last entry ID, seconds since the epoch.")

    // The exporter's own.
    static let redisUp = MetricFamily("event_redis_up", .gauge, [], "1 when the last poll of Redis succeeded.", note: "always")
    static let pollDuration = MetricFamily("event_exporter_poll_duration_seconds", .histogram, [], "Duration of polls of Redis.", note: "always")
    static let polls = MetricFamily("event_exporter_polls_total", .counter, [], "Polls of Redis attempted.", note: "always")
    static let pollOverruns = MetricFamily("event_exporter_poll_overruns_total", .counter, [], "Polls that took longer than --poll.interval (poll and publish); the next poll started at once.", note: "always")
    static let pollErrors = MetricFamily("event_exporter_poll_errors_total", .counter, ["reason"], "Failed polls and items skipped during polls, by reason.", note: "always; every known reason from 0")
    static let lastPollSuccess = MetricFamily("event_exporter_last_poll_success_timestamp_seconds", .gauge, [], "When the last successful poll finished, seconds since the epoch.", note: "after the first successful poll")
    static let pollRoundTrips = MetricFamily("event_exporter_poll_redis_round_trips", .gauge, [], "Pipelined Redis round trips of the last poll.", note: "always")
    static let pollCommands = MetricFamily("event_exporter_poll_redis_commands", .gauge, [], "Redis commands sent by the last poll.", note: "always")
    static let streamsMonitored = MetricFamily("event_exporter_streams_monitored", .gauge, [], "Streams monitored (fixed and discovered).", note: "always")
    static let streamsDropped = MetricFamily("event_exporter_streams_dropped", .gauge, [], "Discovered streams left out because of --streams.max.", note: "always")
    static let nodeUp = MetricFamily("event_exporter_node_up", .gauge, ["node"], "1 when the last poll of this Redis Cluster primary succeeded.", note: "cluster mode only")
    static let nodePollDuration = MetricFamily("event_exporter_node_poll_duration_seconds", .gauge, ["node"], "Duration of the last poll of this Redis Cluster primary.", note: "cluster mode only")
    static let nodePollErrors = MetricFamily("event_exporter_node_poll_errors_total", .counter, ["node"], "Failed polls of this Redis Cluster primary.", note: "cluster mode only")
    static let buildInfo = MetricFamily("event_exporter_build_info", .gauge, ["version", "swift_version", "hiredis_version", "microhttpd_version"], "Versions of the exporter and its libraries; always 1.", note: "always")

    // The standard process families, from /proc.
    static let processCPU = MetricFamily("process_cpu_seconds_total", .counter, [], "Total user and system CPU time spent in seconds.", note: "Linux")
    static let processResident = MetricFamily("process_resident_memory_bytes", .gauge, [], "Resident memory size in bytes.", note: "Linux")
    static let processVirtual = MetricFamily("process_virtual_memory_bytes", .gauge, [], "Virtual memory size in bytes.", note: "Linux")
    static let processOpenFDs = MetricFamily("process_open_fds", .gauge, [], "Number of open file descriptors.", note: "Linux")
    static let processMaxFDs = MetricFamily("process_max_fds", .gauge, [], "Maximum number of open file descriptors.", note: "Linux")
    static let processStart = MetricFamily("process_start_time_seconds", .gauge, [], "Start time of the process since unix epoch in seconds.", note: "Linux")

    /// Every family, in the order they are rendered.
    public static let all: [MetricFamily] = [
        consumerLag, consumerLagExact, consumerLagSeconds, consumerPending, oldestPendingIdle, oldestPendingDeliveries,
        entriesRead, lastDeliveredTimestamp, groupConsumers, stalled, lagStatus, drainSeconds, rewinds,
        instancePending, instanceIdle, instanceInactive,
        streamLength, streamGroups, streamEntriesAdded, streamLastEntryTimestamp,
        redisUp, pollDuration, polls, pollOverruns, pollErrors, lastPollSuccess, pollRoundTrips, pollCommands,
        streamsMonitored, streamsDropped, nodeUp, nodePollDuration, nodePollErrors, buildInfo,
        processCPU, processResident, processVirtual, processOpenFDs, processMaxFDs, processStart,
    ]

    /// `docs/metrics.md`, generated.
    public static var markdown: String {
        var out = """
            # Metrics

            Generated from `Sources/LagCore/Render/MetricFamily.swift` (`MetricFamily.all`), the one table the
            renderers read; `UPDATE_GOLDEN=1 swift test --filter MetricsDoc` rewrites this file, and a test
            fails when it is out of date. Families of the snapshot (`event_consumer_*`, `event_stream_*`)
            are exposed only while the last poll succeeded and is fresh; the others always.

            | family | type | labels | help | present |
            |---|---|---|---|---|

            """
        for f in all {
            let labels = f.labels.map { "`\($0)`" }.joined(separator: ", ")
            out += "| `\(f.name)` | \(f.kind.rawValue) | \(labels) | \(f.help) | \(f.note) |\n"
        }
        return out
    }
}
