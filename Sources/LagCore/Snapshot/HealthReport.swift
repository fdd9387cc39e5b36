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

    /// `findings` are the snapshot's own (made once per publication); without them they are
    /// worked out here.
    public init(snapshot: Snapshot?, status exporter: ExporterStatus, thresholds: Thresholds,
                freshness: Freshness, now: Double, findings: HealthFindings? = nil) {
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
        // Redis Cluster: a primary down while others answer; its streams are shown stale.
        for (node, s) in exporter.nodes.sorted(by: { $0.key < $1.key }) where !s.up && exporter.redisUp {
            add(.degraded, "redis cluster node \(node) is down (\(s.staleStreams) streams stale)"
                + (s.lastError.map { ": \($0)" } ?? ""))
        }
        var total = 0
        if let snapshot {
            let findings = findings ?? HealthFindings(snapshot: snapshot, thresholds: thresholds)
            maxLag = findings.maxLag
            totalLag = findings.totalLag
            collectedAt = snapshot.collectedAt
            snapshotAgeSeconds = freshness.age(of: snapshot, now: now)
            if freshness.isTooOld(snapshot, now: now) {
                add(.unhealthy, freshness.tooOldReason(snapshot, now: now))
            }
            worst = max(worst, findings.worst)
            total = reasons.count + findings.count
            reasons += findings.reasons
        } else {
            add(.unhealthy, "no successful poll yet")
            total = reasons.count
        }
        if total > Self.maxReasons {
            reasons = Array(reasons.prefix(Self.maxReasons)) + ["and \(total - Self.maxReasons) more"]
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

/// What a snapshot alone says about health (missing streams and groups, stalled and lagging
/// groups), worked out once per publication: the health endpoint then only adds what depends on
/// the clock. Only the first `HealthReport.maxReasons` reasons are put in words; the rest are
/// counted.
public struct HealthFindings: Sendable {
    public let worst: Status
    public let reasons: [String]
    /// Every reason, including those not put in words.
    public let count: Int
    public let maxLag: Int?
    public let totalLag: Int

    public init(snapshot: Snapshot, thresholds: Thresholds) {
        var worst = Status.healthy
        var reasons: [String] = []
        var count = 0
        func add(_ s: Status, _ reason: @autoclosure () -> String) {
            worst = max(worst, s)
            count += 1
            if reasons.count < HealthReport.maxReasons { reasons.append(reason()) }
        }
        // Read by index, in place: a stream or group is copied (its names retained) only when
        // it has something to say, not 100,000 times a publication to find a few.
        for si in snapshot.streams.indices {
            let quiet = snapshot.streams[si].presence == .exists && snapshot.streams[si].groups.indices.allSatisfy {
                let g = (snapshot.streams[si].groups[$0].exists, snapshot.streams[si].groups[$0].stalled,
                         snapshot.streams[si].groups[$0].status)
                return g.0 && !g.1 && g.2 == .healthy
            }
            if quiet { continue }
            let stream = snapshot.streams[si]
            switch stream.presence {
            case .missing: add(.degraded, "stream \(stream.name.display) does not exist")
            case .wrongType: add(.degraded, "key \(stream.name.display) is not a stream")
            case .unreadable: add(.degraded, "stream \(stream.name.display): redis' reply could not be read")
            case .forbidden: add(.degraded, "stream \(stream.name.display): the exporter's ACL user may not read it (NOPERM)")
            case .exists: break
            }
            for g in stream.groups {
                if !g.exists { add(.degraded, "\(stream.name.display) group \(g.name.display) does not exist"); continue }
                let lag = g.lag ?? 0
                if g.stalled {
                    add(.unhealthy, "\(stream.name.display) group \(g.name.display) is stalled: lag \(lag) and last-delivered-id \(g.lastDeliveredID?.description ?? "-") not moving")
                } else if g.status == .unhealthy {
                    add(.unhealthy, "\(stream.name.display) group \(g.name.display) lag \(lag) is above the unhealthy threshold \(thresholds.unhealthy)")
                } else if g.status == .degraded {
                    add(.degraded, "\(stream.name.display) group \(g.name.display) lag \(lag) is above the degraded threshold \(thresholds.degraded)")
                }
            }
        }
        self.worst = worst
        self.reasons = reasons
        self.count = count
        maxLag = snapshot.maxLag
        totalLag = snapshot.totalLag
    }
}
