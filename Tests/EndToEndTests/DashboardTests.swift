import Foundation
import Testing

/// The Grafana dashboard's queries against a real Prometheus scraping the real exporter: every
/// one parses, every series it names is exported, and the key panels return data.
@Suite("Grafana dashboard")
struct DashboardTests {
    static let dashboard = Binaries.packageRoot.appendingPathComponent("deploy/grafana/stream-lag-exporter.json")

    /// Every `expr` in the dashboard, with Grafana's variables replaced as Grafana would.
    static func expressions() throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard))
        var found: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    if key == "expr", let expr = child as? String { found.append(expr) } else { walk(child) }
                }
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(json)
        return found.map {
            $0.replacingOccurrences(of: "$stream", with: ".*").replacingOccurrences(of: "$consumer_group", with: ".*")
                .replacingOccurrences(of: "$__rate_interval", with: "1m")
        }
    }

    @Test func everyQueryRunsOnTheRealSeries() throws {
        let expressions = try Self.expressions()
        #expect(expressions.count >= 20)
        let h = try Harness(RedisVersion.newest)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 30)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "10", "STREAMS", "events:chat", ">")
        // A group with nothing left to read, so that its drain time (0) is exported at once.
        try h.conn.run("XGROUP", "CREATE", "events:ticket", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:ticket", 3)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "3", "STREAMS", "events:ticket", ">")
        let exporter = try h.startExporter(["--streams", "events:chat,events:ticket"], pollInterval: "200ms")
        let exported = try h.freshMetrics().names()
        for name in Set(expressions.flatMap { $0.matches(of: /(event|process)_[a-z_]+/).map { String($0.output.0) } }) {
            #expect(exported.contains(name), "the dashboard uses \(name), which /metrics does not have")
        }
        let prometheus = try PrometheusServer(scrapeConfigs: """
              - job_name: stream-lag-exporter
                static_configs:
                  - targets: ["127.0.0.1:\(exporter.port)"]

            """)
        try eventually(30, "a few scrapes") { (try prometheus.query("event_consumer_lag")).count == 2 }
        for expr in expressions {
            let response = try HTTPResult.fetch(
                "http://127.0.0.1:\(prometheus.port)/api/v1/query?query=\(expr.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(response.status == 200, "\(expr): \(response.text)")
            #expect(try response.json().string("status") == "success", "\(expr)")
        }
        let total = try prometheus.query("sum(event_consumer_lag)")
        #expect(total.first.map { Int($0.value) } == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count)
            + (try h.conn.undelivered("events:ticket", group: "signalr-consumers").count))

        // The KEDA trigger's query of docs/on-call.md returns the group's lag, Redis' own count.
        let doc = try String(contentsOf: Binaries.packageRoot.appendingPathComponent("docs/on-call.md"), encoding: .utf8)
        let marker = try #require(doc.range(of: "<!-- keda-query -->"), "docs/on-call.md has the KEDA example")
        let queryLine = try #require(doc[marker.upperBound...].split(separator: "\n").first { $0.contains("query: ") })
        let keda = String(queryLine.split(separator: "query: ", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
        let scaled = try prometheus.query(keda)
        #expect(scaled.count == 1, "\(keda) returns data")
        #expect(scaled.first.map { Int($0.value) } == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
    }
}
