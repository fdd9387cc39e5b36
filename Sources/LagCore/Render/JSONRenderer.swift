/// Renders the `/api/v1/events/*` JSON bodies. The seed's fields come first, then the detail.
public enum JSONRenderer {
    public static let contentType = "application/json"

    /// `GET /api/v1/events/consumer-lag`.
    public static func consumerLag(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool) -> String {
        String(decoding: consumerLagBytes(snapshot, redisConnected: redisConnected, stale: stale), as: UTF8.self)
    }

    public static func consumerLagBytes(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool) -> [UInt8] {
        whole(capacity: 512 + snapshot.streams.count * 600) { writeConsumerLag(snapshot, redisConnected: redisConnected, stale: stale, &$0) }
    }

    /// The same, handed to `sink` in chunks of about 64 KB as it is written.
    public static func consumerLag(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool,
                                   into sink: @escaping ([UInt8]) -> Void) {
        chunked(into: sink) { writeConsumerLag(snapshot, redisConnected: redisConnected, stale: stale, &$0) }
    }

    /// A document written whole.
    private static func whole(capacity: Int, _ write: (inout JSONWriter) -> Void) -> [UInt8] {
        var w = JSONWriter(capacity: capacity)
        write(&w)
        return w.bytes
    }

    /// A document handed to `sink` in chunks as it is written.
    private static func chunked(into sink: @escaping ([UInt8]) -> Void, _ write: (inout JSONWriter) -> Void) {
        var w = JSONWriter(flush: sink)
        write(&w)
        w.finish()
    }

    private static func writeConsumerLag(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("streams")
        w.beginObject()
        for stream in snapshot.streams {
            w.key(stream.name.display)
            w.beginObject()
            w.field("lag", stream.lag)
            w.key("consumers")
            w.beginArray()
            for name in stream.consumerNames { w.string(name) }
            w.endArray()
            w.field("exists", stream.exists)
            w.field("pending", stream.pending)
            w.field("lag_seconds", seconds: stream.lagSeconds)
            w.field("status", stream.status.description)
            if stream.stale { w.field("stale", true) }
            w.key("groups")
            w.beginObject()
            for group in stream.groups {
                w.key(group.name.display)
                group.exists ? writeGroup(group, &w) : writeMissingGroup(&w)
            }
            w.endObject()
            w.endObject()
            w.flushIfFull()
        }
        w.endObject()
        w.field("total_lag", snapshot.totalLag)
        w.field("stream_count", snapshot.streams.count)
        w.field("collected_at", JSONWriter.timestamp(snapshot.collectedAt))
        w.field("redis_connected", redisConnected)
        w.field("stale", stale)
        w.endObject()
        
    }

    private static func writeGroup(_ g: GroupState, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("exists", true)
        w.field("lag", g.lag)
        w.field("lag_exact", g.lagExact)
        w.field("lag_seconds", seconds: g.lagSeconds)
        w.field("pending", g.pending)
        w.field("oldest_pending_idle_seconds", seconds: g.oldestPendingIdleSeconds)
        w.field("oldest_pending_deliveries", g.oldestPendingDeliveries)
        w.field("last_delivered_id", g.lastDeliveredID?.description)
        w.field("entries_read", g.entriesRead)
        w.field("stalled", g.stalled)
        w.field("status", g.status.description)
        w.field("produce_rate", rate: g.produceRate)
        w.field("consume_rate", rate: g.consumeRate)
        w.field("trend", g.trend?.rawValue)
        w.field("drain_seconds", seconds: g.drainSeconds)
        w.field("rewinds", g.rewinds)
        w.field("consumer_count", g.consumerCount)
        w.field("consumers_dropped", g.consumersDropped)
        w.key("consumers")
        w.beginArray()
        for c in g.consumers {
            w.beginObject()
            w.field("name", c.name.display)
            w.field("pending", c.pending)
            w.field("idle_seconds", seconds: c.idleSeconds)
            if let inactive = c.inactiveSeconds { w.field("inactive_seconds", seconds: inactive) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private static func writeMissingGroup(_ w: inout JSONWriter) {
        w.beginObject()
        w.field("exists", false)
        w.field("lag", nil as Int?)
        w.field("status", Status.degraded.description)
        w.endObject()
    }

    /// `GET /api/v1/events/streams`.
    public static func streams(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool) -> String {
        String(decoding: streamsBytes(snapshot, redisConnected: redisConnected, stale: stale), as: UTF8.self)
    }

    public static func streamsBytes(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool) -> [UInt8] {
        whole(capacity: 256 + snapshot.streams.count * 250) { writeStreams(snapshot, redisConnected: redisConnected, stale: stale, &$0) }
    }

    /// The same, handed to `sink` in chunks of about 64 KB as it is written.
    public static func streams(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool,
                               into sink: @escaping ([UInt8]) -> Void) {
        chunked(into: sink) { writeStreams(snapshot, redisConnected: redisConnected, stale: stale, &$0) }
    }

    private static func writeStreams(_ snapshot: Snapshot, redisConnected: Bool, stale: Bool, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("streams")
        w.beginArray()
        for s in snapshot.streams {
            w.beginObject()
            w.field("name", s.name.display)
            w.field("exists", s.exists)
            w.field("length", s.length)
            w.field("groups", s.groupCount)
            w.field("entries_added", s.entriesAdded)
            w.field("first_entry_id", s.firstEntryID?.description)
            w.field("last_entry_id", s.lastEntryID?.description)
            w.field("last_entry_age_seconds", seconds: s.lastEntryAgeSeconds)
            switch s.presence {
            case .wrongType: w.field("error", "key is not a stream")
            case .unreadable: w.field("error", "redis' reply for this key could not be read")
            case .forbidden: w.field("error", "the exporter's ACL user may not read this key (NOPERM)")
            case .exists, .missing: break
            }
            if s.stale { w.field("stale", true) }
            w.endObject()
            w.flushIfFull()
        }
        w.endArray()
        w.field("collected_at", JSONWriter.timestamp(snapshot.collectedAt))
        w.field("redis_connected", redisConnected)
        w.field("stale", stale)
        w.endObject()
        
    }

    /// `{"error": "..."}` for API errors.
    public static func error(_ message: String) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", message)
        w.endObject()
        return w.out
    }
}
