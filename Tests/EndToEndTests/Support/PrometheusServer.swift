import Foundation

/// A real Prometheus server (Debian's `prometheus`) on a free loopback port, scraping every
/// second with the given scrape configs; stopped by its pid.
final class PrometheusServer: @unchecked Sendable {
    let directory: URL
    private(set) var port = 0

    init(scrapeConfigs: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slx-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("prometheus.yml")
        try Data("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n\(scrapeConfigs)".utf8).write(to: config)
        for _ in 0..<10 {
            let port = Int.random(in: 20_000...60_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
            p.arguments = ["--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                           "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline && p.isRunning {
                if (try? HTTPResult.fetch("http://127.0.0.1:\(port)/-/ready").status) == 200 {
                    self.port = port
                    running = p
                    return
                }
                usleep(100_000)
            }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        throw TestFailure("prometheus did not start")
    }

    private var running: Process?

    /// The targets as Prometheus sees them: scrape URL -> (health, last error).
    func targets() throws -> [String: (health: String, error: String)] {
        let json = try HTTPResult.fetch("http://127.0.0.1:\(port)/api/v1/targets").json()
        let active = ((json["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]]) ?? []
        var out: [String: (String, String)] = [:]
        for t in active {
            out[t["scrapeUrl"] as? String ?? ""] = (t["health"] as? String ?? "", t["lastError"] as? String ?? "")
        }
        return out
    }

    /// An instant query: each result's labels and value.
    func query(_ promql: String) throws -> [(labels: [String: String], value: Double)] {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        let json = try HTTPResult.fetch("http://127.0.0.1:\(port)/api/v1/query?query=\(encoded)").json()
        let result = ((json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.map { r in
            let labels = r["metric"] as? [String: String] ?? [:]
            let value = Double(((r["value"] as? [Any])?.last as? String) ?? "") ?? .nan
            return (labels, value)
        }
    }

    deinit {
        if let p = running, p.isRunning {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
