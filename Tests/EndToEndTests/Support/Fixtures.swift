import Foundation
import RedisClient
import RedisProtocol

/// A running Redis of one version plus the exporter pointed at it; both stopped by their pids.
final class Harness: @unchecked Sendable {
    let redis: RedisServer
    let conn: RedisConnection
    var exporter: ExporterProcess?

    init(_ version: RedisVersion, password: String? = nil, tls: RedisTLSFiles? = nil, arguments: [String] = []) throws {
        redis = try RedisServer(version, password: password, tls: tls, arguments: arguments)
        conn = try redis.connect()
    }

    /// A harness on a server started elsewhere, such as the master of a `SentinelSet`.
    init(attachedTo server: RedisServer) throws {
        redis = server
        conn = try server.connect()
    }

    /// Starts the exporter against this Redis with a fast poll and waits for its first poll.
    @discardableResult
    func startExporter(_ extra: [String] = [], pollInterval: String = "100ms", url: String? = nil) throws -> ExporterProcess {
        let exporter = try ExporterProcess(["--redis.url", url ?? redis.url, "--poll.interval", pollInterval, "--log.level", "debug"] + extra)
        self.exporter = exporter
        try eventually(10, "readiness") { try exporter.get("/-/ready").status == 200 }
        return exporter
    }

    /// Waits for a poll that started after now, so the snapshot reflects every write made so far.
    func freshJSON(_ path: String = "/api/v1/events/consumer-lag") throws -> [String: Any] {
        try require(self.exporter).freshJSON(path: path, timeout: 10)
    }

    func freshMetrics() throws -> MetricSamples {
        _ = try freshJSON()
        return MetricSamples(try require(exporter).get("/metrics").text)
    }

    deinit { exporter?.terminate() }
}

extension ExporterProcess {
    /// A JSON body of a snapshot collected after `since` (a poll that started after it) for
    /// which `ready` holds.
    func freshJSON(since: Date = Date(), path: String = "/api/v1/events/consumer-lag", timeout: Double = 20,
                   _ ready: ([String: Any]) throws -> Bool = { _ in true }) throws -> [String: Any] {
        var result: [String: Any] = [:]
        try eventually(timeout, "a snapshot collected after \(since) that is ready") {
            let response = try get(path)
            guard response.status == 200 else { return false }
            result = try response.json()
            guard let collected = result["collected_at"] as? String, let date = parseTimestamp(collected),
                  date > since.addingTimeInterval(0.005) else { return false }
            return try ready(result)
        }
        return result
    }
}

func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw TestFailure("missing \(what)") }
    return value
}

func parseTimestamp(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: text)
}

extension Dictionary where Key == String, Value == Any {
    func object(_ key: String) throws -> [String: Any] {
        guard let v = self[key] as? [String: Any] else { throw TestFailure("no object '\(key)' in \(self)") }
        return v
    }
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    func string(_ key: String) -> String? { self[key] as? String }
    func bool(_ key: String) -> Bool? { (self[key] as? NSNumber)?.boolValue }
    func isNull(_ key: String) -> Bool { self[key] is NSNull }
}

/// promtool's verdict on a /metrics body; empty output and status 0 mean clean.
func promtoolCheck(_ text: String) throws -> (status: Int32, output: String) {
    try runTool("/usr/bin/promtool", ["check", "metrics"], input: text)
}
