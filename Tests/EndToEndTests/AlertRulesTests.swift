import Foundation
import Testing

/// The alerting rules in alerts/: valid, unit-tested with promtool, and naming only series the
/// real exporter exports.
@Suite("Alert rules")
struct AlertRulesTests {
    static let alerts = Binaries.packageRoot.appendingPathComponent("alerts")

    private func promtool(_ args: [String]) throws -> (status: Int32, output: String) {
        try runTool("/usr/bin/promtool", args, in: Self.alerts)
    }

    @Test func rulesAreValidAndTheirUnitTestsPass() throws {
        let check = try promtool(["check", "rules", "stream-lag-exporter.rules.yml"])
        #expect(check.status == 0, "\(check.output)")
        let test = try promtool(["test", "rules", "stream-lag-exporter.test.yml"])
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains("SUCCESS"))
    }

    @Test func everyAlertHasAUnitTest() throws {
        let rules = try String(contentsOf: Self.alerts.appendingPathComponent("stream-lag-exporter.rules.yml"), encoding: .utf8)
        let tests = try String(contentsOf: Self.alerts.appendingPathComponent("stream-lag-exporter.test.yml"), encoding: .utf8)
        let names = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst("- alert: ".count)) : nil
        }
        #expect(names.count >= 10)
        for name in names {
            #expect(tests.contains("alertname: \(name)\n"), "\(name) has no promtool test")
        }
    }

    @Test func rulesNameOnlySeriesTheExporterExports() throws {
        let h = try Harness(RedisVersion.newest)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 5)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "c", "COUNT", "2", "STREAMS", "events:chat", ">")
        // A group with nothing left to read: its drain time (0) is exported from the first poll.
        try h.conn.run("XGROUP", "CREATE", "events:ticket", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:ticket", 2)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "c", "COUNT", "2", "STREAMS", "events:ticket", ">")
        try h.startExporter()
        let exported = try h.freshMetrics().names()
        let rules = try String(contentsOf: Self.alerts.appendingPathComponent("stream-lag-exporter.rules.yml"), encoding: .utf8)
        let referenced = Set(rules.matches(of: /event_[a-z_]+/).map { String($0.output) })
        #expect(!referenced.isEmpty)
        // event_exporter_node_* exist in cluster mode only: ClusterTests sees them exported.
        for name in referenced where !name.hasPrefix("event_exporter_node_") {
            #expect(exported.contains(name), "the rules use \(name), which /metrics does not have")
        }
    }
}
