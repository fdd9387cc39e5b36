/// The `/api/v1/events/health` verdict: the worst of the groups' statuses, unhealthy when Redis
/// is down or the data is stale, degraded when a monitored stream or group is missing.
public struct HealthReport: Sendable {
    public var status: Status
    public var reasons: [String]
    public var redisConnected: Bool
    public var maxLag: Int?
    public var totalLag: Int?
    public var collectedAt: Double?
    public var snapshotAgeSeconds: Double?
    public var thresholds: Thresholds

    /// Most reasons listed; past it one line says how many more there are.
    static let maxReasons = 20

    public init(snapshot: Snapshot?, status exporter: ExporterStatus, thresholds: Thresholds,
                freshness: Freshness, now: Double) {
        self.thresholds = thresholds
        redisConnected = exporter.redisUp
        var worst = Status.healthy
        var reasons: [String] = []
        func add(_ s: Status, _ reason: String) {
            worst = max(worst, s)
            reasons.append(reason)
        }
        if !exporter.redisUp {
            add(.unhealthy, "redis is not connected" + (exporter.lastError.map { ": \($0)" } ?? ""))
        }
        if let snapshot {
            maxLag = snapshot.maxLag
            totalLag = snapshot.totalLag
            collectedAt = snapshot.collectedAt
            snapshotAgeSeconds = freshness.age(of: snapshot, now: now)
            if freshness.isTooOld(snapshot, now: now) {
                add(.unhealthy, freshness.tooOldReason(snapshot, now: now))
            }
            for stream in snapshot.streams {
                let name = stream.name.display
                switch stream.presence {
                case .missing: add(.degraded, "stream \(name) does not exist")
                case .wrongType: add(.degraded, "key \(name) is not a stream")
                case .unreadable: add(.degraded, "stream \(name): redis' reply could not be read")
                case .forbidden: add(.degraded, "stream \(name): the exporter's ACL user may not read it (NOPERM)")
                case .exists: break
                }
                for g in stream.groups {
                    let where_ = "\(name) group \(g.name.display)"
                    if !g.exists { add(.degraded, "\(where_) does not exist"); continue }
                    let lag = g.lag ?? 0
                    if g.stalled {
                        add(.unhealthy, "\(where_) is stalled: lag \(lag) and last-delivered-id \(g.lastDeliveredID?.description ?? "-") not moving")
                    } else if g.status == .unhealthy {
                        add(.unhealthy, "\(where_) lag \(lag) is above the unhealthy threshold \(thresholds.unhealthy)")
                    } else if g.status == .degraded {
                        add(.degraded, "\(where_) lag \(lag) is above the degraded threshold \(thresholds.degraded)")
                    }
                }
            }
        } else {
            add(.unhealthy, "no successful poll yet")
        }
        if reasons.count > Self.maxReasons {
            let more = reasons.count - Self.maxReasons
            reasons = Array(reasons.prefix(Self.maxReasons)) + ["and \(more) more"]
        }
        self.status = worst
        self.reasons = reasons
    }

    /// 200 when healthy or degraded, 503 when unhealthy.
    public var httpStatus: Int { status == .unhealthy ? 503 : 200 }

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("status", status.description)
        w.field("redis_connected", redisConnected)
        w.field("transport_mode", "redis_streams")
        w.field("max_lag", maxLag)
        w.field("total_lag", totalLag)
        w.key("reasons")
        w.beginArray()
        for r in reasons { w.string(r) }
        w.endArray()
        w.field("collected_at", collectedAt.map(JSONWriter.timestamp))
        w.field("snapshot_age_seconds", seconds: snapshotAgeSeconds)
        w.key("thresholds")
        w.beginObject()
        w.field("degraded", thresholds.degraded)
        w.field("unhealthy", thresholds.unhealthy)
        w.endObject()
        w.endObject()
        return w.out
    }
}
