import Foundation
import Testing

/// Slow, numerous and hostile HTTP clients against the real binary (`Tests/Tools/http-abuse.py`
/// plays them). Each case gets a 4xx or a closed connection, others keep being served, and the
/// process gives back what the clients took: its descriptors return to the baseline, its memory
/// to within a few MiB of it.
@Suite("HTTP abuse")
struct HTTPAbuseTests {
    /// Memory the allocator may keep after serving many connections at once (measured: 2 MiB).
    static let residentSlackKiB = ProcessFigures.residentGrowthBound(normalKiB: 10 * 1024)

    @Test func slowClientsFromOneAddressCannotStarveAnother() throws {
        let (h, exporter, before) = try start(["--web.header-timeout", "2s"])
        let seen = try abuse("slowloris", "\(exporter.port)", "500", "6")
        print("HTTP abuse, slowloris: \(seen)")
        // 64 connections of 127.0.0.1 are held (the default --web.max-connections-per-ip), the rest closed at once.
        #expect(seen.int("held") == 64, "\(seen)")
        #expect(seen.int("closed_at_once") == 500 - 64, "\(seen)")
        // Meanwhile 127.0.0.2 is served, every time, within a second.
        #expect((seen.int("others") ?? 0) >= 10, "\(seen)")
        #expect(seen.int("others_ok") == seen.int("others"), "\(seen)")
        #expect((seen.double("others_max_ms") ?? .infinity) < 1000, "\(seen)")
        // The held ones still trickling header bytes are cut at the header deadline, not later.
        #expect(seen.int("cut") == 64 && seen.int("still_open") == 0, "\(seen)")
        #expect((seen.double("cut_after_min_s") ?? 0) >= 1.9, "\(seen)")
        #expect((seen.double("cut_after_max_s") ?? .infinity) <= 3.5, "\(seen)")
        try expectBaseline(exporter, before, h)
    }

    @Test func aKeepAliveConnectionIsNotCutBetweenRequests() throws {
        let (h, exporter, before) = try start(["--web.header-timeout", "1s"])
        // Idle longer than the header deadline after a response, as a scraper between scrapes.
        let seen = try abuse("keepalive", "\(exporter.port)", "2.5")
        #expect(seen.int("first") == 200 && seen.int("second") == 200, "\(seen)")
        #expect(seen.bool("closed") == false, "\(seen)")
        try expectBaseline(exporter, before, h)
    }

    @Test func aThousandConnectionsAtOnceAreAllAnswered() throws {
        let (h, exporter, before) = try start()
        // From 40 addresses, so that the per-address limit is not what bounds them: the
        // 512-connection limit is, and the rest wait in the listen queue.
        let seen = try abuse("flood", "\(exporter.port)", "1000")
        print("HTTP abuse, flood: \(seen)")
        #expect(seen.int("failed_connect") == 0, "\(seen)")
        #expect(seen.int("other") == 0, "no answer other than 200 or a closed connection: \(seen)")
        #expect((seen.int("answered_200") ?? 0) + (seen.int("closed_unanswered") ?? 0) == 1000, "\(seen)")
        #expect((seen.int("answered_200") ?? 0) >= 512, "\(seen)")
        #expect(seen.int("after_ok") == 20, "\(seen)")
        try expectBaseline(exporter, before, h)
    }

    @Test func hostileRequestsGetA4xxOrAClosedConnection() throws {
        let (h, exporter, before) = try start(["--web.header-timeout", "2s"])
        let seen = try abuse("cases", "\(exporter.port)")
        let refused = ["garbage", "nul_bytes_only", "nul_in_path", "nul_in_header_name", "header_line_1MiB", "headers_10000",
                       "absolute_uri", "path_traversal", "path_traversal_api", "path_traversal_encoded", "bad_method",
                       "lowercase_method", "no_version", "header_without_colon", "url_64KiB", "bad_content_length",
                       "bad_chunked_body"]
        for name in refused {
            let answer = try seen.object(name)
            let status = answer.int("status")
            let closed = answer.bool("closed") == true
            #expect(status.map { (400..<500).contains($0) } ?? closed, "\(name): \(answer)")
        }
        // An HTTP version the server does not speak: 505, the one 5xx.
        #expect(try seen.object("bad_version").int("status") == 505)
        // libmicrohttpd reads a header line as a C string: a NUL byte in a value ends the value
        // there. The request is served as if the value stopped at the NUL (docs/reliability.md).
        #expect(try seen.object("nul_in_header").int("status") == 200)
        // Pipelined requests are answered in order.
        #expect(try seen.object("pipelined")["statuses"] as? [Int] == [200, 200, 404])
        #expect(try seen.object("vanished_mid_response").int("count") == 100)
        #expect(try seen.object("after").int("status") == 200)
        try expectBaseline(exporter, before, h)
    }

    // MARK: - Helpers

    private func start(_ extra: [String] = []) throws -> (Harness, ExporterProcess, ProcessFigures) {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 7)
        let exporter = try h.startExporter(extra)
        _ = try h.freshJSON()
        let before = try ProcessFigures(pid: exporter.process.processIdentifier)
        return (h, exporter, before)
    }

    private func abuse(_ arguments: String...) throws -> [String: Any] {
        let script = Binaries.packageRoot.appendingPathComponent("Tests/Tools/http-abuse.py").path
        let run = try runTool("/usr/bin/python3", [script] + arguments)
        #expect(run.status == 0, "\(run.output)")
        let line = run.output.split(separator: "\n").last.map(String.init) ?? ""
        return try require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "abuse report")
    }

    /// The process keeps serving exact figures, and gives back its descriptors and threads.
    private func expectBaseline(_ exporter: ExporterProcess, _ before: ProcessFigures, _ h: Harness) throws {
        #expect(exporter.process.isRunning)
        var after = try ProcessFigures(pid: exporter.process.processIdentifier)
        try eventually(10, "descriptors back to \(before.descriptors)") {
            after = try ProcessFigures(pid: exporter.process.processIdentifier)
            return after.descriptors == before.descriptors
        }
        print("HTTP abuse: before \(before); after \(after)")
        #expect(after.threads == before.threads, "before \(before), after \(after)")
        #expect(after.residentKiB <= before.residentKiB + Self.residentSlackKiB, "before \(before), after \(after)")
        let json = try h.freshJSON()
        #expect(try json.object("streams").object("events:chat").int("lag")
                == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
    }
}
