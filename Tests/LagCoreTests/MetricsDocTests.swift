import Foundation
import Testing
@testable import LagCore

/// `docs/metrics.md` is generated from the one table of families the renderers read.
@Suite("MetricsDoc")
struct MetricsDocTests {
    static let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/metrics.md")

    @Test("docs/metrics.md is what MetricFamily.all generates")
    func docIsUpToDate() throws {
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(MetricFamily.markdown.utf8).write(to: Self.doc)
        }
        let onDisk = try String(contentsOf: Self.doc, encoding: .utf8)
        #expect(onDisk == MetricFamily.markdown, "docs/metrics.md is out of date: UPDATE_GOLDEN=1 swift test --filter MetricsDoc")
    }

    @Test("every family in the golden bodies is in the table, with its type and help; names are unique")
    func renderedFamiliesAreTheTable() throws {
        #expect(Set(MetricFamily.all.map(\.name)).count == MetricFamily.all.count)
        let byName = Dictionary(uniqueKeysWithValues: MetricFamily.all.map { ($0.name, $0) })
        let text = try ["metrics.prom", "metrics-cluster.prom"].map {
            try String(contentsOf: Fixtures.golden.appendingPathComponent($0), encoding: .utf8)
        }.joined()
        var seen = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            let family = try #require(byName[String(parts[2])], "\(parts[2]) is not in MetricFamily.all")
            #expect(family.kind.rawValue == parts[3])
            seen.insert(family.name)
        }
        // Only families that need a condition the golden snapshot lacks may be missing.
        let missing = Set(MetricFamily.all.map(\.name)).subtracting(seen)
        #expect(missing.isSubset(of: ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                                      "process_open_fds", "process_max_fds", "process_start_time_seconds"]), "\(missing)")
    }
}
