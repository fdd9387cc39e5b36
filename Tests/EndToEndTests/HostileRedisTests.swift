import Foundation
import Testing

/// A fake Redis (`Tests/Tools/hostile-redis.py`) that answers like Redis 7.0 except for one
/// value no Redis sends. Each value once killed the exporter with SIGILL ("arithmetic
/// overflow") within one poll; now it costs that poll or that one figure, and is counted.
@Suite("Hostile Redis")
struct HostileRedisTests {
    final class FakeServer: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(_ json: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            let script = Binaries.packageRoot.appendingPathComponent("Tests/Tools/hostile-redis.py").path
            process.arguments = [script, json]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure("hostile-redis.py printed no port: \(line)")
            }
            self.port = port
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// (name, the scenario as hostile-redis.py takes it, what it costs: the poll or one figure).
    static let scenarios: [(String, String, String)] = [
        ("TIME max", #"{"time": ["9223372036854775807", "999999"]}"#, "poll"),
        ("TIME min", #"{"time": ["-9223372036854775808", "0"]}"#, "poll"),
        ("TIME huge microseconds", #"{"time": ["9223372036854775", "999999999999999999"]}"#, "poll"),
        ("TIME negative", #"{"time": ["-9223372036854775", "0"]}"#, "poll"),
        ("PEL delivery time min", #"{"delivery_time": -9223372036854775808}"#, "figure"),
        ("PEL delivery count min", #"{"delivery_count": -9223372036854775808}"#, "figure"),
        ("seen-time min", #"{"seen_time": -9223372036854775808}"#, "figure"),
        ("seen-time max", #"{"seen_time": 9223372036854775807}"#, "figure"),
        ("lag max", #"{"lag": 9223372036854775807}"#, "distrusted"),
        ("entries-read min", #"{"entries_read": -9223372036854775808}"#, "figure"),
        ("entries-added min", #"{"entries_added": -9223372036854775808}"#, "figure"),
        ("length min", #"{"length": -9223372036854775808}"#, "figure"),
    ]

    @Test(arguments: scenarios.indices)
    func survivesAndCounts(index: Int) throws {
        let (name, scenario, cost) = Self.scenarios[index]
        let fake = try FakeServer(scenario)
        let exporter = try ExporterProcess(["--redis.url", "redis://127.0.0.1:\(fake.port)/0", "--poll.interval", "50ms",
                                            "--streams", "events:chat"])
        var m = MetricSamples("")
        try eventually(10, "\(name): malformed_reply counted, or the lag counted") {
            m = MetricSamples(try exporter.get("/metrics").text)
            if cost == "distrusted" {
                // More than the stream's length is undelivered: not Redis' figure to trust.
                let lag = m.value("event_consumer_lag", ["stream": "events:chat", "consumer_group": "signalr-consumers"])
                return lag.map { $0 <= 10 } ?? false
            }
            return (m.value("event_exporter_poll_errors_total", ["reason": "malformed_reply"]) ?? 0) >= 2
        }
        // A few more polls, still alive and serving.
        usleep(300_000)
        #expect(exporter.process.isRunning, "\(name): the exporter is alive")
        #expect(try exporter.get("/-/healthy").status == 200, "\(name)")
        m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_redis_up") == (cost == "poll" ? 0 : 1), "\(name): a nonsense clock fails the poll, a figure does not")
        let log = exporter.stderr.text
        if cost != "distrusted" {
            #expect(log.split(separator: "\n").filter { $0.contains("malformed_reply") }.count == 1,
                    "\(name): logged once, not every poll:\n\(log)")
        }
        #expect(exporter.terminate() == 0, "\(name)")
    }
}
