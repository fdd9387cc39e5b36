/// `stream-lag-exporter check`: one poll's verdict as a monitoring plugin gives it. The exit
/// code is 0 when everything is healthy, 1 degraded, 2 unhealthy or stalled, 3 unknown (Redis
/// not reached, or its replies not understood); the table has a row per monitored group (a
/// stream without groups gets one row), then a status line.
public struct CheckReport: Sendable {
    public enum Verdict: Int32, Sendable {
        case ok = 0, degraded = 1, unhealthy = 2, unknown = 3

        public var word: String {
            switch self {
            case .ok: "OK"
            case .degraded: "DEGRADED"
            case .unhealthy: "UNHEALTHY"
            case .unknown: "UNKNOWN"
            }
        }
    }

    public var verdict: Verdict
    public var text: String

    /// `snapshot` is the poll's (nil when it failed); `status` says whether Redis answered and,
    /// in a cluster, which primaries did not.
    public init(snapshot: Snapshot?, status: ExporterStatus) {
        guard let snapshot, status.redisUp else {
            verdict = .unknown
            text = "UNKNOWN: redis was not polled: \(status.lastError ?? "no answer")\n"
            return
        }
        var rows: [[String]] = [["STREAM", "GROUP", "LAG", "LAG SECONDS", "PENDING", "STATUS"]]
        var worst = Status.healthy
        var counts: [Status: Int] = [:]
        var stalled = 0
        for stream in snapshot.streams {
            worst = max(worst, stream.status)
            if stream.groups.isEmpty {
                let why = switch stream.presence {
                case .exists: "no group"
                case .missing: "stream missing"
                case .wrongType: "not a stream"
                case .unreadable: "unreadable"
                case .forbidden: "no permission"
                }
                rows.append([stream.name.display, "-", "-", "-", "-", "\(stream.status) (\(why)\(stream.stale ? ", stale" : ""))"])
                counts[stream.status, default: 0] += stream.exists ? 0 : 1
                continue
            }
            for group in stream.groups {
                counts[group.status, default: 0] += 1
                if group.stalled { stalled += 1 }
                var note: [String] = []
                if !group.exists { note.append("group missing") }
                if group.stalled { note.append("stalled") }
                if !group.lagExact { note.append("at least") }
                if stream.stale { note.append("stale") }
                rows.append([
                    stream.name.display, group.name.display,
                    group.lag.map(String.init) ?? "-",
                    group.lagSeconds.map(JSONWriter.number) ?? "-",
                    group.exists ? String(group.pending) : "-",
                    group.status.description + (note.isEmpty ? "" : " (\(note.joined(separator: ", ")))"),
                ])
            }
        }
        let nodesDown = status.nodes.filter { !$0.value.up }.keys.sorted()
        if !nodesDown.isEmpty { worst = max(worst, .degraded) }
        verdict = switch worst {
        case .healthy: .ok
        case .degraded: .degraded
        case .unhealthy: .unhealthy
        }
        var out = Self.table(rows)
        var summary = "\(verdict.word): \(snapshot.streams.count) streams, \(counts[.healthy] ?? 0) healthy, "
            + "\(counts[.degraded] ?? 0) degraded, \(counts[.unhealthy] ?? 0) unhealthy"
        if stalled > 0 { summary += " (\(stalled) stalled)" }
        summary += ", total lag \(snapshot.totalLag)"
        if !nodesDown.isEmpty { summary += "; redis cluster nodes down: \(nodesDown.joined(separator: ", "))" }
        out += summary + "\n"
        text = out
    }

    /// `check --output json`: the consumer-lag body of the poll, or when Redis was not polled
    /// `{"status": "unknown", "redis_connected": false, "error": …}`.
    public static func json(snapshot: Snapshot?, status: ExporterStatus) -> String {
        if let snapshot, status.redisUp {
            return JSONRenderer.consumerLag(snapshot, redisConnected: true, stale: false)
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("status", "unknown")
        w.field("redis_connected", false)
        w.field("error", status.lastError ?? "no answer")
        w.endObject()
        return w.out
    }

    /// Columns padded to their widest cell, two spaces apart, the last one unpadded.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        var widths = Array(repeating: 0, count: columns)
        // A key's control characters are escaped (`\n` as two characters): one row a line.
        let rows = rows.map { $0.map(\.escapingControlCharacters) }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < columns - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            out += line + "\n"
        }
        return out
    }
}
