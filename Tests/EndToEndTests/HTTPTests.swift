import Foundation
import Testing

/// HTTP semantics: methods, lengths, content types, readiness, and secrets kept out of every output.
@Suite("HTTP surface")
struct HTTPTests {
    @Test func methodsPathsAndHeaders() throws {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 3)
        // One poll only, so that every body stays the same between a GET and its HEAD.
        let exporter = try h.startExporter(["--web.telemetry-path", "/custom-metrics"], pollInterval: "1h")
        try eventually(10, "the first poll") { try exporter.get("/api/v1/events/consumer-lag").status == 200 }
        let paths: [(String, String)] = [
            ("/custom-metrics", "text/plain; version=0.0.4; charset=utf-8"),
            ("/api/v1/events/consumer-lag", "application/json"),
            ("/api/v1/events/streams", "application/json"),
            ("/api/v1/events/health", "application/json"),
            ("/-/healthy", "text/plain; charset=utf-8"),
            ("/-/ready", "text/plain; charset=utf-8"),
            ("/", "text/html; charset=utf-8"),
        ]
        for (path, type) in paths {
            let get = try exporter.get(path)
            #expect(get.status == 200, "\(path)")
            #expect(get.header("content-type") == type, "\(path)")
            #expect(get.header("content-length") == String(get.body.count), "\(path)")
            let head = try exporter.get(path, method: "HEAD")
            #expect(head.status == 200, "HEAD \(path)")
            #expect(head.header("content-length") == get.header("content-length") || path.contains("health"),
                    "HEAD \(path)")  // health holds its age, rendered per request
            #expect(head.body.isEmpty)
            for method in ["POST", "PUT", "DELETE"] {
                let bad = try exporter.get(path, method: method)
                #expect(bad.status == 405, "\(method) \(path)")
                #expect(bad.header("allow") == "GET, HEAD")
                #expect(try bad.json().string("error") != nil)
            }
        }
        // OpenMetrics when asked for, gzip when allowed: the same figures, rendered once a poll.
        let plain = try exporter.get("/custom-metrics")
        let om = try exporter.get("/custom-metrics", headers: ["Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5"])
        #expect(om.header("content-type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(om.text.hasSuffix("# EOF\n"))
        #expect(om.text.contains("# TYPE event_exporter_polls counter\n"))
        #expect(om.header("vary") == "Accept, Accept-Encoding")
        let gz = try exporter.get("/custom-metrics", curl: ["--compressed"])
        #expect(gz.header("content-encoding") == "gzip")
        #expect(Int(gz.header("content-length") ?? "") ?? .max < plain.body.count / 3)
        #expect(gz.text == plain.text, "gzip decodes to the same body")

        let missing = try exporter.get("/metrics")
        #expect(missing.status == 404, "the telemetry path moved")
        #expect(try missing.json().string("error") != nil)
        #expect(try exporter.get("/api/v1/events/nope").status == 404)
        #expect(try exporter.get("/custom-metrics?debug=1").status == 200)
        let index = try exporter.get("/").text
        #expect(index.contains("href=\"/custom-metrics\""))
    }

    /// A plain `/metrics` body past 2 MiB is not held: it is written for each request from the
    /// publication's layout, into libmicrohttpd's buffer a few tens of KB at a time. A body of
    /// many such pieces must arrive whole and exactly as long as its `Content-Length` says,
    /// byte for byte the gzip'ed body of the same publication (which is held), with every
    /// stream's length as Redis' own XLEN gives it.
    @Test func aLargePlainBodyArrivesWholeAcrossManyBuffers() throws {
        let h = try Harness(RedisVersion.all[0])
        let keys = (0..<2_400).map { "events:big:\($0)" }
        var setup: [[[UInt8]]] = []
        for (i, key) in keys.enumerated() {
            setup.append(["XGROUP", "CREATE", key, "signalr-consumers", "0", "MKSTREAM"].map { Array($0.utf8) })
            for _ in 0...(i % 7) { setup.append(["XADD", key, "*", "n", "1"].map { Array($0.utf8) }) }
        }
        #expect(try h.conn.pipeline(setup).allSatisfy { $0.errorMessage == nil })
        // One poll only: every request below reads the same publication.
        let exporter = try h.startExporter(["--streams.pattern", "events:big:*"], pollInterval: "1h")
        try eventually(10, "the first poll") { try exporter.get("/api/v1/events/consumer-lag").status == 200 }
        let plain = try exporter.get("/metrics")
        #expect(plain.status == 200)
        #expect(plain.header("content-length") == String(plain.body.count))
        #expect(plain.body.count > 2 << 20, "more than a body held whole, many of libmicrohttpd's buffers: \(plain.body.count) bytes")
        #expect(try exporter.get("/metrics").body == plain.body, "a second reader gets the same bytes")
        let gz = try exporter.get("/metrics", curl: ["--compressed"])
        #expect(gz.header("content-encoding") == "gzip")
        #expect(gz.text == plain.text)
        let lengths = try h.conn.pipeline(keys.map { ["XLEN", $0].map { Array($0.utf8) } }).map { $0.int }
        let samples = MetricSamples(plain.text)
        for (key, length) in zip(keys, lengths) {
            #expect(samples.value("event_stream_length", ["stream": key]).map(Int64.init) == length, "\(key)")
        }
    }

    @Test func apiAnswers503UntilTheFirstSuccessfulPoll() throws {
        let exporter = try ExporterProcess(["--redis.url", "redis://127.0.0.1:1/0", "--poll.interval", "50ms"])
        try eventually(10, "first poll attempt") { try exporter.get("/-/ready").status == 200 }
        let lag = try exporter.get("/api/v1/events/consumer-lag")
        #expect(lag.status == 503)
        #expect(try lag.json().string("error") != nil)
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_redis_up") == 0)
        #expect((m.value("event_exporter_poll_errors_total", ["reason": "connect"]) ?? 0) >= 1)
        #expect(m.series("event_consumer_lag").isEmpty)
    }

    @Test func theRedisPasswordNeverLeaves() throws {
        let secret = "s3cr3t-Pa55-\(UUID().uuidString.prefix(8))"
        let h = try Harness(RedisVersion.all[0], password: secret)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        let url = "redis://:\(secret)@127.0.0.1:\(h.redis.port)/0"
        let exporter = try ExporterProcess(["--redis.url", url, "--poll.interval", "100ms", "--log.level", "debug"])
        h.exporter = exporter
        _ = try h.freshJSON()
        var outputs = [exporter.stderr.text, exporter.stdout.text]
        for path in ["/metrics", "/api/v1/events/consumer-lag", "/api/v1/events/streams", "/api/v1/events/health", "/"] {
            outputs.append(try exporter.get(path).text)
        }
        // A wrong password from a file: the error is logged, the password is not.
        let wrong = "wr0ng-\(UUID().uuidString.prefix(8))"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try Data((wrong + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let failing = try ExporterProcess(["--redis.url", "redis://127.0.0.1:\(h.redis.port)/0", "--redis.password-file", file.path,
                                           "--poll.interval", "50ms", "--log.level", "debug", "--log.format", "json"])
        try eventually(10, "auth failure reported") { try failing.get("/api/v1/events/health").status == 503 }
        let health = try failing.get("/api/v1/events/health")
        outputs += [health.text, try failing.get("/metrics").text]
        #expect(failing.terminate() == 0)
        outputs.append(failing.stderr.text)
        #expect(failing.stderr.text.contains("\"reason\":\"auth\""), "\(failing.stderr.text)")
        for output in outputs {
            #expect(!output.contains(secret))
            #expect(!output.contains(wrong))
        }
    }
}
