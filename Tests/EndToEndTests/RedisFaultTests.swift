import Foundation
import RedisClient
import RedisProtocol
import Synchronization
import Testing

/// Redis misbehaving under a running exporter (issue 12, "Redis faults, counted"): killed and
/// restarted again and again, frozen by `CLIENT PAUSE` and `DEBUG SLEEP`, out of client slots,
/// its password changed, and its data changed between the two round trips of one poll.
/// Figures are printed (`swift test ... --filter RedisFault` shows them).
@Suite("Redis faults", .serialized)
struct RedisFaultTests {
    // MARK: 1. SIGKILL and restart, 20 times, while scraping

    /// What one scrape saw: /metrics then /api/v1/events/health on one kept-alive connection.
    struct Check: Sendable {
        var sent: Date
        var received: Date
        var redisUp: Double?
        var healthCode: Int
        var connected: Bool?
        var status: String?
    }

    /// Scrapes in a loop on its own thread until stopped.
    final class Scraper: Sendable {
        let checks = Mutex<[Check]>([])
        let errors = Mutex<[String]>([])
        private let stopping = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(port: Int) {
            let thread = Thread { [self] in
                let client = KeepAliveClient(port: port)
                while !stopping.load(ordering: .acquiring) {
                    let sent = Date()
                    do {
                        let m = try client.get("/metrics")
                        let h = try client.get("/api/v1/events/health")
                        let json = try JSONSerialization.jsonObject(with: h.body) as? [String: Any] ?? [:]
                        let check = Check(sent: sent, received: Date(), redisUp: MetricSamples(m.text).value("event_redis_up"),
                                          healthCode: h.status, connected: json.bool("redis_connected"), status: json.string("status"))
                        checks.withLock { $0.append(check) }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                        client.disconnect()
                    }
                    usleep(5_000)
                }
                done.signal()
            }
            thread.start()
        }

        /// Stops the loop and waits for it; a second call returns at once.
        func stop() {
            if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
            done.wait()
        }
    }

    enum RedisState { case up, starting, down }

    /// "Right at every check", precisely: a check is *settled* when Redis stayed in one state
    /// (up: accepting since `start` returned; down: killed and not relaunched) from two poll
    /// intervals before the check was sent until its last response arrived. Two intervals are
    /// the one poll in flight at the transition plus the next one, which must see the change
    /// (after a failure the exporter waits at most one interval before trying again). Every
    /// settled check must agree with Redis: up is `event_redis_up 1`, health 200, "healthy" and
    /// `redis_connected: true`; down is `event_redis_up 0`, health 503, "unhealthy" and
    /// `redis_connected: false`. A check in a transition window may show either.
    static func expected(_ check: Check, events: [(Date, RedisState)], allowance: Double) -> RedisState? {
        let from = check.sent.addingTimeInterval(-allowance)
        if events.contains(where: { $0.0 > from && $0.0 <= check.received }) { return nil }
        let state = events.last(where: { $0.0 <= from })?.1 ?? .up
        return state == .starting ? nil : state
    }

    /// On the newest Redis of the matrix only: what is tested is the exporter's reconnecting,
    /// the same for every version (LifecycleTests kills and restarts each version once).
    @Test(arguments: [RedisVersion.newest])
    func killedAndRestartedTwentyTimes(version: RedisVersion) throws {
        // Data survives a SIGKILL (appendfsync always), so that an up Redis is a healthy one.
        let h = try Harness(version, arguments: ["--appendonly", "yes", "--appendfsync", "always"])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 20)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "c", "COUNT", "15", "STREAMS", "events:chat", ">")
        let interval = 0.25
        let exporter = try h.startExporter(["--streams", "events:chat"], pollInterval: "250ms")
        _ = try h.freshJSON()
        let pid = exporter.process.processIdentifier
        let scraper = Scraper(port: exporter.port)
        defer { scraper.stop() }
        let probe = KeepAliveClient(port: exporter.port)
        func health() throws -> (Int, String?) {
            let r = try probe.get("/api/v1/events/health")
            let json = try JSONSerialization.jsonObject(with: r.body) as? [String: Any] ?? [:]
            return (r.status, json.string("status"))
        }
        _ = try health()  // the probe's connection is open at the baseline too
        usleep(1_000_000)  // warm: every path served, allocator settled
        let base = try ProcessFigures(pid: pid)
        let (baseFDs, baseRSS) = (base.descriptors, base.residentKiB)
        var events: [(Date, RedisState)] = [(.distantPast, .up)]  // up since before the scraper started
        var recoveries: [Double] = []
        var fromLaunch: [Double] = []
        var detections: [Double] = []
        let port = h.redis.port
        for cycle in 1...20 {
            let killed = Date()
            events.append((killed, .down))
            h.redis.stop()
            try eventually(10, "cycle \(cycle): redis reported down") { try health().0 == 503 }
            detections.append(Date().timeIntervalSince(killed))
            usleep(UInt32(4 * interval * 1_000_000))  // down for a while: settled checks of a down Redis
            let launched = Date()
            events.append((launched, .starting))
            try h.redis.start(port: port)
            let answering = Date()
            events.append((answering, .up))
            var healthy = Date()
            try eventually(10, "cycle \(cycle): healthy again") {
                let (code, status) = try health()
                healthy = Date()
                return code == 200 && status == "healthy"
            }
            // "Redis returning" is Redis answering commands again: `start` returns once Redis
            // answers with its new pid, which it checks every 20 ms (so that moment may be up to
            // 20 ms late: the bound below takes it off). From the relaunch, Redis' own start-up
            // (process, AOF load) is included too: printed, not bounded (a loaded machine).
            recoveries.append(healthy.timeIntervalSince(answering))
            fromLaunch.append(healthy.timeIntervalSince(launched))
            usleep(UInt32.random(in: 900_000...1_200_000))  // up for a while: settled checks of an up Redis
        }
        usleep(UInt32(3 * interval * 1_000_000))
        // fds come back exactly (the scraper's and the probe's connections, and the one to
        // Redis, were open at the baseline too).
        var fds = (try ProcessFigures(pid: pid)).descriptors
        try? eventually(5, "fds back to \(baseFDs)") {
            fds = (try ProcessFigures(pid: pid)).descriptors
            return fds <= baseFDs
        }
        let rss = (try ProcessFigures(pid: pid)).residentKiB
        scraper.stop()
        let checks = scraper.checks.withLock { $0 }
        var settled = 0
        var wrong: [String] = []
        // Each of the 20 down phases and 21 up phases must hold settled checks: the claim is
        // checked in every cycle, not only before and after them.
        var settledPerPhase = [Int](repeating: 0, count: events.count)
        for check in checks {
            guard let state = Self.expected(check, events: events, allowance: 2 * interval) else { continue }
            settled += 1
            if let phase = events.lastIndex(where: { $0.0 <= check.sent }) { settledPerPhase[phase] += 1 }
            let up = state == .up
            let right = check.redisUp == (up ? 1 : 0) && check.healthCode == (up ? 200 : 503)
                && check.connected == up && check.status == (up ? "healthy" : "unhealthy")
            if !right { wrong.append("\(check) expected \(state)") }
        }
        let worst = recoveries.max() ?? .nan
        print("""
            [faults] \(version.name) kill/restart x20, poll 250ms: recovery (from Redis answering) worst \(ms(worst)) ms, \
            median \(ms(percentile(recoveries, 50))) ms (from relaunch: worst \(ms(fromLaunch.max() ?? .nan)) ms); down seen within worst \(ms(detections.max() ?? .nan)) ms; \
            checks \(checks.count), settled \(settled) (fewest in a phase \(events.indices.filter { events[$0].1 != .starting }.map { settledPerPhase[$0] }.min() ?? 0)), wrong \(wrong.count); fds \(baseFDs) -> \(fds); \
            RSS \(baseRSS) KiB -> \(rss) KiB (bound +4096)
            """)
        #expect(exporter.process.isRunning, "no crash")
        #expect(worst <= 2 * interval - 0.02, "healthy again within 2 poll intervals of Redis returning: worst \(worst) s")
        #expect(wrong.isEmpty, "every settled check right; wrong: \(wrong.prefix(5))")
        let emptyPhases = events.indices.filter { events[$0].1 != .starting && settledPerPhase[$0] == 0 }
        #expect(emptyPhases.isEmpty, "settled checks in every up and down phase; none in \(emptyPhases.map { "\(events[$0].1) #\($0)" })")
        #expect(scraper.errors.withLock { $0 }.isEmpty, "every scrape answered: \(scraper.errors.withLock { $0 }.prefix(3))")
        #expect(fds == baseFDs, "fds back to the baseline")
        #expect(rss <= baseRSS + ProcessFigures.residentGrowthBound(normalKiB: 4096), "RSS back within 4 MiB of the baseline")
        let json = try h.freshJSON()
        let lag = try json.object("streams").object("events:chat").int("lag")
        #expect(lag == (try h.redis.connect().undelivered("events:chat", group: "signalr-consumers").count))
        #expect(exporter.terminate() == 0)
    }

    // MARK: 2. CLIENT PAUSE and DEBUG SLEEP longer than --redis.timeout

    /// The major version of a redis-server binary (`--version`).
    static func major(_ version: RedisVersion) throws -> Int {
        let out = try runTool(version.binary, ["--version"]).output
        guard let range = out.range(of: "v="), let major = Int(out[range.upperBound...].prefix { $0.isNumber }) else {
            throw TestFailure("no version in \(out)")
        }
        return major
    }

    /// Requests, many, while Redis answers nothing for 2 s (the poll's timeout is 500 ms): the
    /// API is served from the last snapshot, p99 under 50 ms (the product's promise: a scrape
    /// never waits for Redis), and the exporter is healthy again afterwards.
    @Test(arguments: RedisVersion.all)
    func frozenRedisNeverSlowsTheAPI(version: RedisVersion) throws {
        let debug = try Self.major(version) >= 7 ? ["--enable-debug-command", "yes"] : []
        let h = try Harness(version, arguments: debug)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 12)
        let exporter = try h.startExporter(["--streams", "events:chat", "--redis.timeout", "500ms"])
        _ = try h.freshJSON()
        let client = KeepAliveClient(port: exporter.port)
        let port = h.redis.port
        for fault in ["CLIENT PAUSE 2000 ALL", "DEBUG SLEEP 2"] {
            let started = Date()
            let finished = DispatchSemaphore(value: 0)
            let words = fault.split(separator: " ").map(String.init)
            let failure = Mutex<String?>(nil)
            Thread {
                do {
                    let c = try RedisConnection(endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port)), timeoutSeconds: 10)
                    let reply = try c.command(words)
                    if let e = reply.errorMessage { failure.withLock { $0 = e } }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                finished.signal()
            }.start()
            var latencies: [Double] = []
            var sawDown = false
            var statuses = Set<Int>()
            while Date().timeIntervalSince(started) < 1.9 {
                for path in ["/api/v1/events/consumer-lag", "/metrics"] {
                    let r = try client.get(path)
                    latencies.append(r.seconds)
                    statuses.insert(r.status)
                    if path == "/metrics", MetricSamples(r.text).value("event_redis_up") == 0 { sawDown = true }
                }
            }
            finished.wait()
            #expect(failure.withLock { $0 } == nil, "\(fault): \(failure.withLock { $0 } ?? "")")
            let p99 = percentile(latencies, 99)
            print("[faults] \(version.name) \(fault) (--redis.timeout 500ms): \(latencies.count) requests, p50 \(ms(percentile(latencies, 50))) ms, p99 \(ms(p99)) ms, max \(ms(latencies.max() ?? .nan)) ms")
            #expect(latencies.count >= 200, "\(fault): many requests")
            #expect(p99 < 0.050, "\(fault): p99 \(p99) s")
            #expect(statuses == [200], "\(fault): every request served: \(statuses)")
            #expect(sawDown, "\(fault): the fault outlasted --redis.timeout (the poll failed: event_redis_up 0)")
            var recovered = Date()
            try eventually(10, "\(fault): healthy again") {
                let r = try client.get("/api/v1/events/health")
                recovered = Date()
                return r.status == 200
            }
            print("[faults] \(version.name) \(fault): healthy again \(ms(recovered.timeIntervalSince(started) - 2)) ms after the fault ended")
            let json = try h.freshJSON()
            #expect(try json.object("streams").object("events:chat").int("lag") == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
        }
        #expect(exporter.terminate() == 0)
    }

    // MARK: 3. maxclients reached

    @Test(arguments: RedisVersion.all)
    func maxClientsReached(version: RedisVersion) throws {
        let h = try Harness(version)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 4)
        let exporter = try h.startExporter(["--streams", "events:chat"])
        _ = try h.freshJSON()
        // Room for the test's own connection only: the exporter's, killed, cannot come back.
        try h.conn.run("CONFIG", "SET", "maxclients", "1")
        try h.conn.run("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        try eventually(10, "refused reconnection counted") {
            let m = MetricSamples(try exporter.get("/metrics").text)
            return m.value("event_redis_up") == 0 && (m.value("event_exporter_poll_errors_total", ["reason": "connect"]) ?? 0) >= 1
        }
        let health = try exporter.get("/api/v1/events/health")
        #expect(health.status == 503)
        let reasons = try health.json()["reasons"] as? [String] ?? []
        #expect(reasons.contains { $0.contains("max number of clients reached") }, "Redis' words in the health reasons: \(reasons)")
        #expect(exporter.stderr.text.contains("max number of clients reached"), "and in the log")
        #expect(exporter.process.isRunning)
        try h.conn.run("CONFIG", "SET", "maxclients", "10000")
        try eventually(10, "healthy once raised") { try exporter.get("/api/v1/events/health").status == 200 }
        let json = try h.freshJSON()
        #expect(json.bool("redis_connected") == true)
        #expect(try json.object("streams").object("events:chat").int("lag") == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
        print("[faults] \(version.name) maxclients: reason: \(reasons.first ?? "")")
        #expect(exporter.terminate() == 0)
    }

    // MARK: 4. requirepass changed under the exporter

    /// "Fixed", for an SRE: either Redis' password set back, or the new password written to
    /// `--redis.password-file`, which the exporter reads again before every new connection
    /// (no restart). Neither password ever shows in the log, /metrics or the JSON.
    @Test(arguments: RedisVersion.all)
    func passwordChangedUnderTheExporter(version: RedisVersion) throws {
        let old = "old-\(UUID().uuidString)"
        let new = "new-\(UUID().uuidString)"
        let h = try Harness(version, password: old)
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 3)
        let secrets = try SecretsDir()
        let file = try secrets.write("redis-password", old + "\n")
        let exporter = try h.startExporter(["--streams", "events:chat", "--redis.password-file", file])
        _ = try h.freshJSON()
        var outputs: [String] = []

        func authFailures() throws -> Double {
            MetricSamples(try exporter.get("/metrics").text).value("event_exporter_poll_errors_total", ["reason": "auth"]) ?? 0
        }

        func breakIt(_ password: String) throws {
            let before = try authFailures()
            try h.conn.run("CONFIG", "SET", "requirepass", password)  // this connection stays authenticated
            try h.conn.run("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            // The poll on the killed connection fails first ("connection closed"); the
            // reconnection's AUTH after it.
            try eventually(10, "authentication failure reported") {
                let m = MetricSamples(try exporter.get("/metrics").text)
                return (m.value("event_exporter_poll_errors_total", ["reason": "auth"]) ?? 0) > before && m.value("event_redis_up") == 0
            }
            let health = try exporter.get("/api/v1/events/health")
            #expect(health.status == 503)
            let reasons = try health.json()["reasons"] as? [String] ?? []
            #expect(reasons.contains { $0.contains("authentication failed") }, "a clear reason: \(reasons)")
            outputs += [health.text, try exporter.get("/metrics").text, try exporter.get("/api/v1/events/consumer-lag").text]
            print("[faults] \(version.name) requirepass changed: \(reasons.first ?? "")")
        }

        func healthyAgain(_ how: String) throws {
            try eventually(10, "healthy again: \(how)") { try exporter.get("/api/v1/events/health").status == 200 }
            let json = try h.freshJSON()
            #expect(json.bool("redis_connected") == true, "\(how)")
            #expect(try json.object("streams").object("events:chat").int("lag") == (try h.conn.undelivered("events:chat", group: "signalr-consumers").count))
            outputs.append(try exporter.get("/metrics").text)
        }

        // Fixed by setting Redis' password back.
        try breakIt(new)
        try h.conn.run("CONFIG", "SET", "requirepass", old)
        try healthyAgain("Redis' password set back")
        // Fixed by rotating the file to Redis' new password, without a restart.
        try breakIt(new)
        try secrets.write("redis-password", new + "\n")
        try healthyAgain("--redis.password-file rewritten")
        #expect(exporter.stderr.text.contains("authentication failed"), "the log says it")
        outputs.append(exporter.stderr.text)
        for text in outputs {
            #expect(!text.contains(old) && !text.contains(new), "no password in any output")
        }
        #expect(exporter.terminate() == 0)
    }

    // MARK: 5. The data changed between the two round trips of one poll

    /// A proxy (`Tests/Tools/between-round-trips-proxy.py`) in front of the real Redis runs a
    /// mutation right before the first range read of a poll (its second round trip).
    final class Proxy: @unchecked Sendable {
        let process = Process()
        let port: Int
        private let input = Pipe()
        private let output: OutputCapture

        init(redisPort: Int) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [Binaries.packageRoot.appendingPathComponent("Tests/Tools/between-round-trips-proxy.py").path, "\(redisPort)"]
            let out = Pipe()
            process.standardOutput = out
            process.standardInput = input
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let more = out.fileHandleForReading.availableData
                if more.isEmpty { throw TestFailure("the proxy printed no port") }
                line.append(more)
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure("the proxy printed no port")
            }
            self.port = port
            output = OutputCapture(out)
        }

        /// Arms `commands` for the next poll; returns (poll number, epoch seconds of its TIME)
        /// once they ran.
        func mutateNextPoll(_ commands: [[String]]) throws -> (poll: Int, time: Double) {
            let before = output.text.split(separator: "\n").count
            let json = try JSONSerialization.data(withJSONObject: ["commands": commands])
            input.fileHandleForWriting.write(json + Data("\n".utf8))
            var result: (Int, Double)?
            try eventually(10, "the mutation ran between the round trips") {
                let lines = output.text.split(separator: "\n").filter { $0.hasPrefix("applied ") }
                guard lines.count > 0, output.text.split(separator: "\n").count > before, let last = lines.last else { return false }
                let parts = last.split(separator: " ")
                result = (Int(parts[1]) ?? 0, (Double(parts[2]) ?? 0) / 1000)
                return true
            }
            return try require(result)
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// What Redis says of one group, read the slow, obvious way.
    struct GroupFigures: Equatable, CustomStringConvertible {
        var exists: Bool
        var lag: Int?
        var pending: Int?
        var lastDeliveredID: String?
        var description: String { exists ? "lag \(lag ?? -1) pending \(pending ?? -1) ldi \(lastDeliveredID ?? "-")" : "no group" }

        init(exists: Bool, lag: Int?, pending: Int?, lastDeliveredID: String?) {
            self.exists = exists
            self.lag = lag
            self.pending = pending
            self.lastDeliveredID = lastDeliveredID
        }

        init(redis: RedisConnection, stream: String, group: String) throws {
            let groups = (try? redis.groups(stream)) ?? [:]
            guard let g = groups[group] else {
                self.init(exists: false, lag: nil, pending: nil, lastDeliveredID: nil)
                return
            }
            self.init(exists: true, lag: try redis.undelivered(stream, group: group).count,
                      pending: g["pending"]?.int.map(Int.init), lastDeliveredID: g["last-delivered-id"]?.text)
        }

        init(json stream: [String: Any], group: String) {
            guard let g = (stream["groups"] as? [String: Any])?[group] as? [String: Any], g.bool("exists") == true else {
                self.init(exists: false, lag: nil, pending: nil, lastDeliveredID: nil)
                return
            }
            self.init(exists: true, lag: g.int("lag"), pending: g.int("pending"), lastDeliveredID: g.string("last_delivered_id"))
        }
    }

    /// The scenarios: a name and the mutation on `s` (10 entries, group `g` that read 4 and
    /// acknowledged none: lag 6, pending 4).
    static let mutations: [(String, [[String]])] = [
        ("stream deleted", [["DEL", "s"]]),
        ("stream recreated", [["DEL", "s"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
                              ["XADD", "s", "*", "n", "1"], ["XADD", "s", "*", "n", "2"]]),
        ("trimmed to 0", [["XTRIM", "s", "MAXLEN", "0"]]),
        ("group destroyed", [["XGROUP", "DESTROY", "s", "g"]]),
    ]

    /// "Not wrong", precisely: after the poll that the change hit, the stream's figures equal
    /// Redis' own after the poll (the exporter read the changed stream again, whole), or, where
    /// no read of that poll could see the change (a group destroyed: range reads do not name
    /// groups), equal Redis' own before the change, all of them: the poll's first instant. Never
    /// a mix of the two (a deleted stream's group with lag 0, the length from before with the
    /// lag from after). The untouched stream `t` is exact, and the next poll is exact.
    @Test(arguments: RedisVersion.all, mutations.indices)
    func changedBetweenTheRoundTrips(version: RedisVersion, scenario: Int) throws {
        let (name, commands) = Self.mutations[scenario]
        let h = try Harness(version)
        let r = h.conn
        for key in ["s", "t"] {
            try r.run("XGROUP", "CREATE", key, "g", "0", "MKSTREAM")
            try r.addEntries(key, 10)
            try r.run("XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", key, ">")
        }
        let proxy = try Proxy(redisPort: h.redis.port)
        let exporter = try h.startExporter(["--streams", "s,t", "--consumer-group", "g"], pollInterval: "1s",
                                           url: "redis://127.0.0.1:\(proxy.port)/0")
        _ = try h.freshJSON()
        // A poll has just ended; the next starts about a second later. `s`'s group reads one
        // more entry now, so that that poll reads `s` in its second round trip (a group that
        // did not move since the last poll needs no read on Redis 7+), before which the proxy
        // runs the mutation.
        try r.run("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
        let before = try GroupFigures(redis: r, stream: "s", group: "g")
        let beforeLength = try r.length("s")
        let (poll, time) = try proxy.mutateNextPoll(commands)
        let after = try GroupFigures(redis: r, stream: "s", group: "g")
        let afterLength = try r.length("s")
        // That poll's snapshot: collected as its TIME went out, a second before the next.
        let json = try exporter.freshJSON(since: Date(timeIntervalSince1970: time - 0.5)) { _ in true }
        let collected = try require(parseTimestamp(try require(json.string("collected_at"))))
        #expect(abs(collected.timeIntervalSince1970 - time) < 0.3, "\(name): the snapshot of poll \(poll)")
        let m = MetricSamples(try exporter.get("/metrics").text)
        let streams = try json.object("streams")
        let s = try streams.object("s")
        let shown = GroupFigures(json: s, group: "g")
        let listing = try exporter.get("/api/v1/events/streams").json()
        #expect(listing.string("collected_at") == json.string("collected_at"), "\(name): /streams of the same poll")
        let shownLength = ((listing["streams"] as? [[String: Any]])?.first { $0.string("name") == "s" })?.int("length") ?? -1
        let asAfter = shown == after && shownLength == afterLength
        let asBefore = shown == before && shownLength == beforeLength
        let detectable = name != "group destroyed"
        print("[faults] \(version.name) \(name) between round trips: before {\(before), length \(beforeLength)}, after {\(after), length \(afterLength)}, shown {\(shown), length \(shownLength)}")
        #expect(detectable ? asAfter : (asAfter || asBefore),
                "\(name): shown \(shown) length \(shownLength); Redis before \(before) length \(beforeLength), after \(after) length \(afterLength)")
        #expect(GroupFigures(json: try streams.object("t"), group: "g") == (try GroupFigures(redis: r, stream: "t", group: "g")), "\(name): t untouched")
        #expect(m.value("event_redis_up") == 1)
        // The next poll: exact.
        let next = try h.freshJSON()
        #expect(GroupFigures(json: try next.object("streams").object("s"), group: "g") == after, "\(name): next poll")
        #expect(exporter.terminate() == 0)
    }
}

private func ms(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
