import Foundation
import Testing

/// The status page at `/` as a person sees it: rendered by a real headless Chromium (Debian's),
/// its table compared with the JSON API, a change shown without a reload, the token prompt, a
/// phone's width. A screenshot is saved and its path printed in the test output.
@Suite("Status page", .serialized)
struct StatusPageTests {
    static let group = "signalr-consumers"
    static let chromium = "/usr/bin/chromium"

    /// The DOM after the page's script ran (Chromium's virtual time: a few refreshes).
    static func dom(_ url: String, screenshot: String? = nil, width: Int = 1000) throws -> String {
        var args = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=\(width),800",
                    "--virtual-time-budget=3000", "--user-data-dir=\(NSTemporaryDirectory())slx-chromium-\(UUID().uuidString)"]
        if let screenshot { args.append("--screenshot=\(screenshot)") } else { args.append("--dump-dom") }
        let run = try runTool(chromium, args + [url])
        #expect(run.status == 0, "chromium: \(run.output.suffix(500))")
        return run.output
    }

    /// Every `<tr data-stream data-group>` row: its cells by class.
    static func rows(_ dom: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for row in dom.matches(of: /<tr data-stream="([^"]*)" data-group="([^"]*)"[^>]*>(.*?)<\/tr>/) {
            var cells: [String: String] = [:]
            for cell in String(row.output.3).matches(of: /<td class="(?:num )?([a-z-]+)[^"]*">(.*?)<\/td>/) {
                cells[String(cell.output.1)] = String(cell.output.2).replacing(/<[^>]+>/, with: "")
            }
            out["\(row.output.1)/\(row.output.2)"] = cells
        }
        return out
    }

    @Test func theTableShowsEveryStreamAndGroupAsTheAPIDoes() throws {
        let h = try Harness(.newest)
        for (name, lag) in [("events:chat", 7), ("events:ticket", 0)] {
            try h.conn.run("XGROUP", "CREATE", name, Self.group, "$", "MKSTREAM")
            try h.conn.run("XGROUP", "CREATE", name, "audit", "$")
            try h.conn.addEntries(name, 3 + lag)
            try h.conn.run("XREADGROUP", "GROUP", Self.group, "c1", "COUNT", "3", "STREAMS", name, ">")
        }
        let exporter = try h.startExporter(["--consumer-group", "*", "--lag.degraded-threshold", "5"], pollInterval: "300ms")
        let json = try h.freshJSON()
        let page = try Self.dom("http://127.0.0.1:\(exporter.port)/")
        let rows = Self.rows(page)
        var expected = 0
        for (name, stream) in try json.object("streams") {
            let groups = (stream as? [String: Any])?["groups"] as? [String: Any] ?? [:]
            if groups.isEmpty {
                expected += 1
                #expect(rows["\(name)/"]?["status"]?.hasPrefix("degraded") == true, "\(name): \(rows["\(name)/"] ?? [:])")
                continue
            }
            for (group, value) in groups {
                expected += 1
                let g = try #require(value as? [String: Any])
                let row = try #require(rows["\(name)/\(group)"], "a row for \(name) / \(group)")
                #expect(row["lag"] == g.int("lag").map(String.init), "\(name)/\(group) lag")
                #expect(row["pending"] == g.int("pending").map(String.init), "\(name)/\(group) pending")
                #expect(row["status"]?.hasPrefix(g.string("status") ?? "?") == true, "\(name)/\(group) status")
            }
        }
        #expect(rows.count == expected, "every stream and group, once")
        #expect(rows["events:chat/\(Self.group)"]?["lag"] == String(try h.conn.undelivered("events:chat", group: Self.group).count))
        #expect(page.contains("href=\"/metrics\""), "the links are there")
        #expect(page.utf8.count < 64_000, "a few tens of KB")
        // A screenshot in the test output, as a person would see the page.
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("stream-lag-status-page.png").path
        _ = try Self.dom("http://127.0.0.1:\(exporter.port)/", screenshot: shot)
        #expect(FileManager.default.fileExists(atPath: shot))
        print("status page screenshot: \(shot)")
    }

    /// A status change reaches the open page within two poll intervals, without a reload; then
    /// Redis stops and the page says its figures are stale. Watched over the DevTools protocol.
    @Test func changesAppearWithoutAReload() throws {
        let h = try Harness(.newest)
        try h.conn.run("XGROUP", "CREATE", "events:chat", Self.group, "$", "MKSTREAM")
        let exporter = try h.startExporter(["--streams", "events:chat", "--lag.degraded-threshold", "5"], pollInterval: "300ms")
        _ = try h.freshJSON()
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        watcher.arguments = [Binaries.packageRoot.appendingPathComponent("Tests/Tools/cdp-watch.py").path,
                             "http://127.0.0.1:\(exporter.port)/", "6",
                             #"(document.body.getAttribute("data-history")||"")+"|"+document.getElementById("stale").style.display"#,
                             Self.chromium]
        let out = Pipe()
        watcher.standardOutput = out
        let capture = OutputCapture(out)
        try watcher.run()
        usleep(2_000_000)
        try h.conn.addEntries("events:chat", 10)  // lag 10 > 5: degraded
        let changedAt = Int64(Date().timeIntervalSince1970 * 1000)
        usleep(2_000_000)
        h.redis.stop()
        #expect(waitForExit(watcher, timeout: 30))
        usleep(100_000)
        let samples = capture.text.split(separator: "\n").compactMap { line -> String? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? String
        }
        let last = try #require(samples.last, "the watcher saw the page")
        let history = String(last.split(separator: "|").first ?? "")
        let degraded = try #require(history.split(separator: " ").first { $0.hasPrefix("degraded@") }, "degraded shown: \(history)")
        let shownAt = try #require(Int64(degraded.dropFirst("degraded@".count)))
        #expect(history.hasPrefix("healthy@"), "the same page showed healthy first (no reload): \(history)")
        #expect(shownAt - changedAt < 2 * 300 + 300, "shown \(shownAt - changedAt) ms after the change")
        #expect(last.hasSuffix("|block"), "Redis stopped: the stale notice shows: \(last)")
    }

    @Test func asksForATokenWhenBearerAuthIsOn() throws {
        let h = try Harness(.newest)
        let dir = try SecretsDir()
        let file = try dir.write("tokens", "tok-\(UUID().uuidString)\n")
        let exporter = try h.startExporter(["--auth.bearer-tokens-file", file])
        let page = try Self.dom("http://127.0.0.1:\(exporter.port)/")
        #expect(page.contains(#"<form id="token-form" style="display: block;">"#), "the token prompt shows")
        #expect(Self.rows(page).isEmpty, "no figures without the token")
    }

    /// On a phone (390 px wide) the page itself does not scroll sideways: the table scrolls in
    /// its own box.
    @Test func fitsAPhonesWidth() throws {
        let h = try Harness(.newest)
        let exporter = try h.startExporter(pollInterval: "300ms")
        let watcher = try runTool("/usr/bin/env", ["CDP_WIDTH=390", "python3",
            Binaries.packageRoot.appendingPathComponent("Tests/Tools/cdp-watch.py").path,
            "http://127.0.0.1:\(exporter.port)/", "1.5",
            "document.documentElement.scrollWidth+\"/\"+window.innerWidth+\"/\"+(document.body.getAttribute(\"data-renders\")||0)",
            Self.chromium])
        let lines = watcher.output.split(separator: "\n").map(String.init)
        let values = lines.compactMap { line -> String? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? String
        }
        let last = try #require(values.last, Comment(rawValue: watcher.output))
        let parts = last.split(separator: "/").compactMap { Int(String($0)) }
        try #require(parts.count == 3, "\(last)")
        #expect(parts[1] <= 400, "a phone-wide window: \(last)")
        #expect(parts[0] <= parts[1], "no sideways scroll at \(parts[1]) px: \(last)")
        #expect(parts[2] >= 1, "the table was drawn")
    }
}
