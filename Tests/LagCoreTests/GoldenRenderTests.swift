import Foundation
import Testing
@testable import LagCore

/// Renders the fixed `GoldenSnapshot` and compares with the checked-in files byte for byte.
/// `UPDATE_GOLDEN=1 swift test --filter LagCoreTests` rewrites them in the source tree.
@Suite("Renderers against golden files")
struct GoldenRenderTests {
    static let snapshot = GoldenSnapshot.snapshot

    static var metrics: String {
        MetricsRenderer.snapshotFamilies(snapshot)
            + MetricsRenderer.exporterFamilies(GoldenSnapshot.status, redisUp: true, build: GoldenSnapshot.build,
                                               process: GoldenSnapshot.process)
    }

    @Test("metrics.prom: snapshot and exporter families")
    func metrics() throws {
        try expectGolden("metrics.prom", Self.metrics)
    }

    @Test("metrics-redis-down.prom: only the exporter's own families and event_redis_up 0")
    func metricsRedisDown() throws {
        var status = GoldenSnapshot.status
        status.redisUp = false
        status.lastError = "connect: Connection refused"
        try expectGolden("metrics-redis-down.prom",
                         MetricsRenderer.exporterFamilies(status, redisUp: false, build: GoldenSnapshot.build, process: nil))
    }

    @Test("metrics.om: the same body as OpenMetrics 1.0.0, ending in # EOF")
    func metricsOpenMetrics() throws {
        let body = MetricsRenderer.render(snapshot: Self.snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                          process: GoldenSnapshot.process, format: .openMetrics)
        try expectGolden("metrics.om", body)
        // The text format's body and this one differ only in counter family names, bucket
        // bounds and the trailer.
        #expect(MetricsRenderer.render(snapshot: Self.snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                       process: GoldenSnapshot.process, format: .text) == Self.metrics)
    }

    @Test("consumer-lag.json")
    func consumerLag() throws {
        try expectGolden("consumer-lag.json", JSONRenderer.consumerLag(Self.snapshot, redisConnected: true, stale: false))
    }

    @Test("consumer-lag-stale.json: the last snapshot, flagged")
    func consumerLagStale() throws {
        try expectGolden("consumer-lag-stale.json", JSONRenderer.consumerLag(Self.snapshot, redisConnected: false, stale: true))
    }

    @Test("streams.json")
    func streams() throws {
        try expectGolden("streams.json", JSONRenderer.streams(Self.snapshot, redisConnected: true, stale: false))
    }

    @Test("health.json")
    func health() throws {
        let report = HealthReport(snapshot: Self.snapshot, status: GoldenSnapshot.status, thresholds: Thresholds(),
                                  freshness: Freshness(pollInterval: 5), now: GoldenSnapshot.collectedAt + 1.2)
        try expectGolden("health.json", report.json)
    }

    @Test("health-redis-down.json: Redis down and the snapshot stale")
    func healthRedisDown() throws {
        var status = GoldenSnapshot.status
        status.redisUp = false
        status.lastError = "connect: Connection refused"
        let report = HealthReport(snapshot: Self.snapshot, status: status, thresholds: Thresholds(),
                                  freshness: Freshness(pollInterval: 5), now: GoldenSnapshot.collectedAt + 61)
        try expectGolden("health-redis-down.json", report.json)
    }

    @Test("health-no-snapshot.json")
    func healthNoSnapshot() throws {
        let report = HealthReport(snapshot: nil, status: ExporterStatus(), thresholds: Thresholds(degraded: 50, unhealthy: 500),
                                  freshness: Freshness(pollInterval: 5), now: GoldenSnapshot.collectedAt)
        try expectGolden("health-no-snapshot.json", report.json)
    }

    // MARK: Redis Cluster, one primary down

    /// The golden snapshot as a cluster poll shows it with the primary of the first stream
    /// down: that stream's figures from an earlier poll, stale; the node families.
    static var clusterSnapshot: Snapshot {
        var s = snapshot
        s.streams[0].stale = true
        return s
    }

    static var clusterStatus: ExporterStatus {
        var status = GoldenSnapshot.status
        status.nodes = [
            "127.0.0.1:7001": NodeStatus(up: true, pollSeconds: 0.0125),
            "127.0.0.1:7002": NodeStatus(up: false, pollSeconds: 2, errors: 3, lastError: "connect: Connection refused", staleStreams: 1),
            "127.0.0.1:7003": NodeStatus(up: true, pollSeconds: 0.25, errors: 1),
        ]
        return status
    }

    @Test("metrics-cluster.prom: a stale stream shows no series; event_exporter_node_* per primary")
    func metricsCluster() throws {
        try expectGolden("metrics-cluster.prom", MetricsRenderer.render(
            snapshot: Self.clusterSnapshot, status: Self.clusterStatus, build: GoldenSnapshot.build, process: nil, format: .text))
    }

    @Test("consumer-lag-cluster.json and streams-cluster.json: the stale stream flagged")
    func jsonCluster() throws {
        try expectGolden("consumer-lag-cluster.json", JSONRenderer.consumerLag(Self.clusterSnapshot, redisConnected: true, stale: false))
        try expectGolden("streams-cluster.json", JSONRenderer.streams(Self.clusterSnapshot, redisConnected: true, stale: false))
    }

    @Test("health-cluster.json: the node that is down named, degraded")
    func healthCluster() throws {
        let report = HealthReport(snapshot: Self.clusterSnapshot, status: Self.clusterStatus, thresholds: Thresholds(),
                                  freshness: Freshness(pollInterval: 5), now: GoldenSnapshot.collectedAt + 1.2)
        #expect(report.status >= .degraded)
        try expectGolden("health-cluster.json", report.json)
    }

    // MARK: stream-lag-exporter check

    @Test("check.txt: the table and status line of the check command; the worst status decides the exit code")
    func checkReport() throws {
        let report = CheckReport(snapshot: Self.snapshot, status: GoldenSnapshot.status)
        try expectGolden("check.txt", report.text)
        let worst = Self.snapshot.streams.map(\.status).max()
        #expect(report.verdict.rawValue == Int32(worst?.rawValue ?? 0), "0 healthy, 1 degraded, 2 unhealthy")
    }

    @Test("check-cluster.txt: a stale stream and the primaries that are down are said")
    func checkReportCluster() throws {
        try expectGolden("check-cluster.txt", CheckReport(snapshot: Self.clusterSnapshot, status: Self.clusterStatus).text)
    }

    @Test("check: Redis not reached is UNKNOWN, exit 3, whatever the last snapshot said")
    func checkReportUnknown() {
        var status = GoldenSnapshot.status
        status.redisUp = false
        status.lastError = "connect: Connection refused"
        let report = CheckReport(snapshot: Self.snapshot, status: status)
        #expect(report.verdict == .unknown)
        #expect(report.verdict.rawValue == 3)
        #expect(report.text == "UNKNOWN: redis was not polled: connect: Connection refused\n")
        #expect(CheckReport(snapshot: nil, status: ExporterStatus()).verdict == .unknown)
    }

    @Test("check: every group healthy is OK, exit 0", arguments: [0.0, 0.25, 1.5, 42.125])
    func checkReportHealthy(lagSeconds: Double) {
        var stream = StreamState(name: Name("events:chat"), presence: .exists)
        var group = GroupState(name: Name("g"), exists: true)
        group.lag = 0
        group.lagSeconds = lagSeconds
        stream.groups = [group]
        var status = ExporterStatus()
        status.redisUp = true
        let report = CheckReport(snapshot: Snapshot(collectedAt: 0, redisTimeMs: 0, streams: [stream]), status: status)
        #expect(report.verdict == .ok)
        #expect(report.text.hasSuffix("OK: 1 streams, 1 healthy, 0 degraded, 0 unhealthy, total lag 0\n"))
        let seconds = lagSeconds == 0 ? "0" : lagSeconds == 0.25 ? "0.25" : lagSeconds == 1.5 ? "1.5" : "42.125"
        #expect(report.text.contains("events:chat  g      0    \(seconds)"), "\(report.text)")
    }

    // MARK: invariants of the rendered JSON (independent of the golden files)

    @Test("consumer-lag: total_lag is the sum of the streams' lag, stream_count their number")
    func consumerLagInvariants() throws {
        let text = JSONRenderer.consumerLag(Self.snapshot, redisConnected: true, stale: false)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let streams = try #require(json["streams"] as? [String: [String: Any]])
        let lags = streams.values.compactMap { $0["lag"] as? Int }
        #expect(lags.count == streams.count)
        #expect(json["total_lag"] as? Int == lags.reduce(0, +))
        #expect(json["total_lag"] as? Int == 10128)
        #expect(json["stream_count"] as? Int == streams.count)
        #expect(streams.count == 6)
        #expect(Set(streams.keys) == ["events:chat", GoldenSnapshot.oddName, "events:remote", "events:ticket",
                                      "events:wrongtype", "f\u{FFFD}o"])
        let chat = try #require(streams["events:chat"]?["groups"] as? [String: [String: Any]])
        #expect(chat["audit"]?["exists"] as? Bool == false)
        #expect(chat["audit"]?["lag"] is NSNull)
    }

    @Test("streams: the same streams, sorted by name")
    func streamsInvariants() throws {
        let text = JSONRenderer.streams(Self.snapshot, redisConnected: true, stale: false)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let streams = try #require(json["streams"] as? [[String: Any]])
        #expect(streams.compactMap { $0["name"] as? String } == ["events:chat", GoldenSnapshot.oddName, "events:remote",
                                                                 "events:ticket", "events:wrongtype", "f\u{FFFD}o"])
        #expect(streams.compactMap { $0["groups"] as? Int } == [2, 1, 0, 1, 0, 1])
    }

    @Test("health: max_lag and total_lag")
    func healthInvariants() throws {
        let report = HealthReport(snapshot: Self.snapshot, status: GoldenSnapshot.status, thresholds: Thresholds(),
                                  freshness: Freshness(pollInterval: 5), now: GoldenSnapshot.collectedAt + 1.2)
        #expect(report.maxLag == 10000)
        #expect(report.totalLag == 10128)
        #expect(report.status == .unhealthy)
        #expect(report.httpStatus == 503)
    }

    // MARK: label values

    /// A double quote or backslash followed by a combining mark is one Character in Swift; it
    /// must still be escaped, or a stream name breaks the whole scrape.
    @Test("a quote or backslash followed by a combining mark is escaped", arguments: [
        ("a\"\u{301}b", #"a\"\#u{301}b"#), ("a\\\u{301}b", #"a\\\#u{301}b"#), ("plain\u{301}", "plain\u{301}"),
        ("tab\there", "tab\there"), ("cr\r\nlf", "cr\r\\nlf"),
    ])
    func combiningMarks(name: String, escaped: String) {
        var stream = StreamState(name: Name(name), presence: .exists)
        stream.length = 1
        let text = MetricsRenderer.snapshotFamilies(Snapshot(collectedAt: 0, redisTimeMs: 0, streams: [stream]))
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)
            .first { $0.hasPrefix("event_stream_length{") }
        // Compared as text for a readable failure; neither side differs from the other only by
        // canonical equivalence, so this is as strict as comparing bytes.
        #expect(line.map(String.init) == "event_stream_length{stream=\"\(escaped)\"} 1")
    }

    @Test("no snapshot families for an empty snapshot")
    func emptySnapshot() {
        #expect(MetricsRenderer.snapshotFamilies(Snapshot(collectedAt: 0, redisTimeMs: 0, streams: [])) == "")
    }

    @Test("content types")
    func contentTypes() {
        #expect(MetricsRenderer.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(JSONRenderer.contentType == "application/json")
        #expect(JSONRenderer.error("not found") == #"{"error":"not found"}"#)
    }
}

/// The chunked renderer (large bodies written straight into the response) gives the same
/// bytes as the whole-body one, also across many 64 KB chunk boundaries.
@Suite("Chunked rendering")
struct ChunkedRenderTests {
    /// The golden snapshot's streams, repeated under new names until the body is a few MB.
    static let large: Snapshot = {
        let base = GoldenSnapshot.snapshot
        var streams: [StreamState] = []
        for copy in 0..<400 {
            for var stream in base.streams {
                stream.name = Name("copy\(copy):" + stream.name.display)
                streams.append(stream)
            }
        }
        return Snapshot(collectedAt: base.collectedAt, redisTimeMs: base.redisTimeMs, streams: streams)
    }()

    @Test("chunks joined equal the whole body", arguments: [ExpositionFormat.text, .openMetrics])
    func sameBytes(format: ExpositionFormat) {
        for snapshot in [GoldenSnapshot.snapshot, Self.large, nil] as [Snapshot?] {
            let whole = MetricsRenderer.renderBytes(snapshot: snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                                    process: GoldenSnapshot.process, format: format)
            nonisolated(unsafe) var chunks: [[UInt8]] = []
            MetricsRenderer.render(snapshot: snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                   process: GoldenSnapshot.process, format: format, into: { chunks.append($0) })
            #expect(chunks.flatMap { $0 } == whole)
            if snapshot != nil && whole.count > 4 * renderChunk {
                #expect(chunks.count > 4, "written in chunks, not at the end")
                #expect(chunks.dropLast().allSatisfy { $0.count < renderChunk + 4096 })
            }
        }
    }
}

extension ChunkedRenderTests {
    /// A plain body is not held: it is written for each request from its layout, behind a
    /// `Content-Length` computed before the first byte. The size must be exact, and every way
    /// of cutting the body into pieces must give the same bytes.
    @Test("a layout's size is the bytes its cursor writes, cut anywhere", arguments: [ExpositionFormat.text, .openMetrics])
    func layoutSizeAndCuts(format: ExpositionFormat) {
        for snapshot in [GoldenSnapshot.snapshot, Self.large, nil] as [Snapshot?] {
            let layout = MetricsLayout(snapshot: snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                       process: GoldenSnapshot.process, format: format)
            let whole = layout.bytes
            #expect(layout.byteCount == whole.count)
            for atLeast in [1, 100, 4096, renderChunk] {
                var cursor = MetricsLayout.Cursor(layout)
                var joined: [UInt8] = []
                var pieces = 0
                var piece: [UInt8] = []
                while cursor.write(into: &piece, atLeast: atLeast) {
                    #expect(!piece.isEmpty)
                    joined += piece
                    piece.removeAll(keepingCapacity: true)
                    pieces += 1
                }
                #expect(joined == whole, "cut at \(atLeast)")
                #expect(!cursor.write(into: &piece, atLeast: atLeast) && piece.isEmpty, "a finished cursor writes nothing")
                if atLeast == 1, snapshot != nil { #expect(pieces > 20, "one sample or header a piece: \(pieces) pieces") }
            }
        }
    }

    /// A snapshot laid out once serves text and OpenMetrics, and its bodies equal those of a
    /// layout made for each.
    @Test func sharedTablesGiveTheSameBodies() {
        let tables = SnapshotTables(GoldenSnapshot.snapshot)
        for format in [ExpositionFormat.text, .openMetrics] {
            let shared = MetricsLayout(tables: tables, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                       process: GoldenSnapshot.process, format: format)
            #expect(shared.bytes == MetricsRenderer.renderBytes(snapshot: GoldenSnapshot.snapshot, status: GoldenSnapshot.status,
                                                                build: GoldenSnapshot.build, process: GoldenSnapshot.process,
                                                                format: format))
        }
        #expect(tables.heldBytes > 0)
    }

    /// Tables sized from the last poll's give the same bodies whether the new snapshot is the
    /// same, larger (the buffers grow) or much smaller (the spare room is cut off).
    @Test func tablesSizedLikeTheLastPollsGiveTheSameBodies() {
        let small = SnapshotTables(GoldenSnapshot.snapshot)
        let large = SnapshotTables(Self.large)
        for (snapshot, previous) in [(GoldenSnapshot.snapshot, small), (Self.large, small), (GoldenSnapshot.snapshot, large),
                                     (Self.large, large)] {
            let sized = SnapshotTables(snapshot, sizedLike: previous.sizes)
            let body = MetricsLayout(tables: sized, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                     process: GoldenSnapshot.process, format: .text).bytes
            #expect(body == MetricsRenderer.renderBytes(snapshot: snapshot, status: GoldenSnapshot.status, build: GoldenSnapshot.build,
                                                        process: GoldenSnapshot.process, format: .text))
            // Never much more than what it holds: sized alike, or cut to size.
            let own = SnapshotTables(snapshot).heldBytes
            #expect(sized.heldBytes <= own + own / 8 + 16 * 1024, "\(sized.heldBytes) held against \(own)")
        }
    }

    @Test("JSON bodies: chunks joined equal the whole body", arguments: [false, true])
    func sameJSON(stale: Bool) {
        for snapshot in [GoldenSnapshot.snapshot, Self.large] {
            nonisolated(unsafe) var lag: [[UInt8]] = []
            JSONRenderer.consumerLag(snapshot, redisConnected: !stale, stale: stale, into: { lag.append($0) })
            #expect(lag.flatMap { $0 } == JSONRenderer.consumerLagBytes(snapshot, redisConnected: !stale, stale: stale))
            nonisolated(unsafe) var streams: [[UInt8]] = []
            JSONRenderer.streams(snapshot, redisConnected: !stale, stale: stale, into: { streams.append($0) })
            #expect(streams.flatMap { $0 } == JSONRenderer.streamsBytes(snapshot, redisConnected: !stale, stale: stale))
            if snapshot.streams.count > 1000 { #expect(lag.count > 4 && streams.count > 2, "\(lag.count) \(streams.count)") }
        }
    }
}
