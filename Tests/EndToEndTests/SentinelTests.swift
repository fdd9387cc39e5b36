import Dispatch
import Foundation
import RedisClient
import RedisProtocol
import Synchronization
import Testing

/// Redis Sentinel: a master found through three real sentinels, a forced failover under a
/// scrape loop, sentinels that are down, passwords, a broken connection and a replica refused.
/// Every expected figure is the master's own (XINFO, XRANGE, XPENDING).
@Suite("Sentinel", .serialized)
struct SentinelTests {
    static let group = "signalr-consumers"
    static let streams = ["events:chat", "events:ticket"]
    static let pollInterval = 0.2
    static let sentinelFlags = ["--redis.sentinel.master", SentinelSet.masterName]
    /// The exporter on the set's sentinels, watching `streams` only (nothing missing, so that
    /// no skip adds to `event_exporter_poll_errors_total`).
    static func flags(_ extra: [String] = []) -> [String] {
        sentinelFlags + ["--streams", streams.joined(separator: ",")] + extra
    }

    // MARK: a. Discovery

    /// The master is found through the sentinels, and every figure is the master's.
    @Test(arguments: RedisVersion.all)
    func masterFoundThroughTheSentinels(version: RedisVersion) throws {
        let set = try SentinelSet(version)
        let h = try Harness(attachedTo: set.currentMaster())
        try EndpointTests.compareEveryFigure(h, url: set.sentinelURLs(), exporterArguments: Self.sentinelFlags, pollInterval: "200ms")
        let log = try require(h.exporter).stderr.text
        #expect(log.contains("connected to redis") && log.contains("redis.address=127.0.0.1:\(h.redis.port)"),
                "the log names the master the sentinels gave: \(log)")
    }

    // MARK: b. Failover under a scrape loop

    @Test(arguments: RedisVersion.all)
    func forcedFailoverUnderAScrapeLoop(version: RedisVersion) throws {
        let set = try SentinelSet(version)
        let h = try Harness(attachedTo: set.currentMaster())
        try Self.seed(h.conn)
        // The replica has every entry before it is promoted.
        #expect(try h.conn.run("WAIT", "1", "5000").int == 1)
        let exporter = try h.startExporter(Self.flags(), pollInterval: "200ms", url: set.sentinelURLs())
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn), "before the failover: the master's figures")
        let errorsBefore = Self.pollErrors(MetricSamples(try exporter.get("/metrics").text))
        let logBefore = exporter.stderr.text.count

        let scrapes = ScrapeLoop(exporter)
        let failover = try set.failover { old, new in
            // The replica is a master now and no longer replicates the old one, which stays a
            // writable master for about 10 s: different writes on each make figures that tell
            // the two apart, in place before the sentinels name the new one.
            let o = try old.connect(), n = try new.connect()
            try o.addEntries("events:chat", 11)
            try o.run("XREADGROUP", "GROUP", Self.group, "instance-1", "COUNT", "3", "STREAMS", "events:chat", ">")
            try o.addEntries("events:ticket", 5)
            try n.addEntries("events:chat", 37)
            try n.run("XREADGROUP", "GROUP", Self.group, "instance-2", "COUNT", "5", "STREAMS", "events:chat", ">")
            try n.addEntries("events:ticket", 9)
            try n.run("XREADGROUP", "GROUP", Self.group, "instance-1", "COUNT", "2", "STREAMS", "events:ticket", ">")
        }
        let newFigures = try Self.figures(of: failover.new.connect())
        let oldFigures = try Self.figures(of: failover.old.connect())
        for key in newFigures.keys {
            try #require(newFigures[key]?.lag != oldFigures[key]?.lag && newFigures[key]?.pending != oldFigures[key]?.pending,
                         "the masters' figures differ: \(newFigures) vs \(oldFigures)")
        }
        #expect(try set.currentMasterPort() == failover.new.port)

        // The sentinels' own switch is not measured here: failover() allows it up to 15 s (it
        // takes 0.6–1.1 s). From the moment every sentinel names the new master, the exporter
        // has two poll intervals: every snapshot collected after that shows the new master's
        // figures exactly.
        let bound = failover.switchedAt.addingTimeInterval(2 * Self.pollInterval)
        try eventually(10, "the new master's figures") { try Self.figures(h.freshJSON()) == newFigures }
        // Keep scraping until several snapshots collected after the bound were seen.
        try eventually(10, "scrapes of snapshots collected after the bound") {
            scrapes.records.filter { ($0.collectedAt ?? .distantPast) > bound }.count >= 5
        }
        let records = scrapes.stop()

        #expect(records.count >= 10, "the scrape loop ran throughout: \(records.count) scrapes")
        let failed = records.filter { !$0.ok }
        #expect(failed.isEmpty, "every scrape answered 200: \(failed.map(\.failure))")
        var lateJSON = 0, lateMetrics = 0
        for record in records {
            if let collected = record.collectedAt, collected > bound {
                lateJSON += 1
                #expect(record.figures == newFigures, "a snapshot collected \(collected.timeIntervalSince(failover.switchedAt)) s after the switch")
            }
            if let success = record.lastSuccess, success > bound {
                lateMetrics += 1
                #expect(record.metricsLag == newFigures.mapValues(\.lag), "/metrics of a poll \(success.timeIntervalSince(failover.switchedAt)) s after the switch")
            }
            // The old master's figures never appear once the new one is named (allowing the one
            // poll that may have asked a sentinel just before).
            if let collected = record.collectedAt, collected > failover.switchedAt.addingTimeInterval(Self.pollInterval) {
                #expect(record.figures != oldFigures, "old master's figures in a snapshot after the switch")
            }
        }
        #expect(lateJSON >= 5 && lateMetrics >= 3, "late snapshots seen: \(lateJSON) JSON, \(lateMetrics) metrics")

        let after = MetricSamples(try exporter.get("/metrics").text)
        let errorsAfter = Self.pollErrors(after)
        let grown = errorsAfter.values.reduce(0, +) - errorsBefore.values.reduce(0, +)
        #expect(grown <= 1, "at most one failed poll across the failover: \(errorsBefore) -> \(errorsAfter)")
        #expect(after.value("event_redis_up") == 1)
        let log = String(exporter.stderr.text.dropFirst(logBefore))
        #expect(log.split(separator: "\n").contains { $0.contains("connected to redis") && $0.contains("redis.address=127.0.0.1:\(failover.new.port)") },
                "the log names the new master: \(log)")
    }

    // MARK: c. Sentinels down

    @Test(arguments: RedisVersion.all)
    func downSentinelsAreSkippedAndAllDownIsRedisDown(version: RedisVersion) throws {
        let set = try SentinelSet(version)
        let h = try Harness(attachedTo: set.currentMaster())
        try Self.seed(h.conn)
        let exporter = try h.startExporter(Self.flags(), pollInterval: "200ms", url: set.sentinelURLs())
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn))
        let errorsBefore = Self.pollErrors(MetricSamples(try exporter.get("/metrics").text))

        // The first sentinel of the list (the one answering so far) goes away: the next answers.
        set.sentinels[0].stop()
        try h.conn.addEntries("events:chat", 7)
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn), "fresh figures with the first sentinel down")
        #expect(try h.freshJSON().bool("stale") == false)
        let oneDown = MetricSamples(try exporter.get("/metrics").text)
        #expect(oneDown.value("event_redis_up") == 1)
        #expect(Self.pollErrors(oneDown) == errorsBefore, "a sentinel that is down costs no failed poll")

        // Every sentinel down: Redis is down for the exporter (reason connect); it keeps serving.
        set.sentinels[1].stop()
        set.sentinels[2].stop()
        try eventually(10, "redis reported down") {
            let m = MetricSamples(try exporter.get("/metrics").text)
            return m.value("event_redis_up") == 0 && (Self.pollErrors(m)["connect"] ?? 0) >= (errorsBefore["connect"] ?? 0) + 2
        }
        let down = try exporter.get("/metrics")
        #expect(down.status == 200)
        let downErrors = Self.pollErrors(MetricSamples(down.text))
        #expect(downErrors.filter { $0.key != "connect" } == errorsBefore.filter { $0.key != "connect" },
                "every failed poll is reason connect: \(downErrors)")
        #expect(exporter.process.isRunning)
        let stale = try exporter.get("/api/v1/events/consumer-lag").json()
        #expect(stale.bool("redis_connected") == false)
        #expect(try exporter.get("/api/v1/events/health").status == 503)
        #expect(exporter.stderr.text.contains("reason=connect"))

        // Back on the same ports: polled again.
        for sentinel in set.sentinels { try sentinel.restart() }
        try h.conn.addEntries("events:ticket", 4)
        try eventually(15, "redis up again") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 1
        }
        let fresh = try h.freshJSON()
        #expect(try Self.figures(fresh) == Self.figures(of: h.conn))
        #expect(fresh.bool("stale") == false)
    }

    // MARK: d. Passwords

    @Test(arguments: RedisVersion.all)
    func passwordsOfTheMasterAndOfTheSentinels(version: RedisVersion) throws {
        let masterPassword = "master-pw-\(UUID().uuidString.prefix(8))"
        let sentinelPassword = "sentinel-pw-\(UUID().uuidString.prefix(8))"
        let wrongPassword = "wrong-pw-\(UUID().uuidString.prefix(8))"
        let set = try SentinelSet(version, password: masterPassword, sentinelPassword: sentinelPassword)
        let secrets = try SecretsDir()
        let masterFile = try secrets.write("master", masterPassword + "\n")
        let sentinelFile = try secrets.write("sentinel", sentinelPassword + "\n")
        let wrongFile = try secrets.write("wrong", wrongPassword + "\n")
        let h = try Harness(attachedTo: set.currentMaster())
        try EndpointTests.compareEveryFigure(h, url: set.sentinelURLs(), exporterArguments: Self.sentinelFlags + [
            "--redis.password-file", masterFile, "--redis.sentinel.password-file", sentinelFile,
        ], pollInterval: "200ms")
        h.exporter?.terminate()

        // The master's password in the (first) URL instead of a file.
        let fromURL = try ExporterProcess(Self.flags([
            "--redis.url", set.sentinelURLs(userinfo: ":\(masterPassword)"), "--redis.sentinel.password-file", sentinelFile,
            "--poll.interval", "200ms",
        ]))
        try eventually(10, "figures with the master's password from the URL") {
            try Self.figures(fromURL.get("/api/v1/events/consumer-lag").json()) == Self.figures(of: h.conn)
        }
        fromURL.terminate()

        // A wrong sentinel password, then a wrong master password: reason auth, no password logged.
        for (name, flags) in [
            ("wrong sentinel password", ["--redis.password-file", masterFile, "--redis.sentinel.password-file", wrongFile]),
            ("no sentinel password", ["--redis.password-file", masterFile]),
            ("wrong master password", ["--redis.password-file", wrongFile, "--redis.sentinel.password-file", sentinelFile]),
        ] {
            let exporter = try ExporterProcess(Self.flags(["--redis.url", set.sentinelURLs(), "--poll.interval", "200ms",
                                                           "--log.level", "debug"] + flags))
            try eventually(10, "\(name): poll failed with reason auth") {
                let m = MetricSamples(try exporter.get("/metrics").text)
                return m.value("event_redis_up") == 0 && (Self.pollErrors(m)["auth"] ?? 0) >= 1
            }
            let m = MetricSamples(try exporter.get("/metrics").text)
            #expect(Self.pollErrors(m).keys.sorted() == ["auth"], "\(name): \(Self.pollErrors(m))")
            exporter.terminate()
            let log = exporter.stderr.text + exporter.stdout.text
            #expect(log.contains("reason=auth"), "\(name): \(log)")
            for secret in [masterPassword, sentinelPassword, wrongPassword] {
                #expect(!log.contains(secret), "\(name): a password in the log")
            }
        }
    }

    // MARK: e. A broken connection, and a replica refused

    @Test(arguments: RedisVersion.all)
    func brokenConnectionIsRetriedAndAReplicaIsRefused(version: RedisVersion) throws {
        let set = try SentinelSet(version)
        let master = try set.currentMaster()
        let h = try Harness(attachedTo: master)
        try Self.seed(h.conn)
        let exporter = try h.startExporter(Self.flags(), pollInterval: "200ms", url: set.sentinelURLs())
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn))
        let errorsBefore = Self.pollErrors(MetricSamples(try exporter.get("/metrics").text))

        // The master closes the exporter's connection (as a demoted master does): the poll asks
        // the sentinels again and retries at once, so no poll fails.
        try h.conn.run("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        try eventually(10, "the retry logged") { exporter.stderr.text.contains("connection lost; asking the sentinels again") }
        try h.conn.addEntries("events:chat", 6)
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn))
        let afterKill = MetricSamples(try exporter.get("/metrics").text)
        #expect(Self.pollErrors(afterKill) == errorsBefore, "a broken connection costs no failed poll")
        #expect(afterKill.value("event_redis_up") == 1)

        // The server the sentinels name becomes a replica of an unrelated server (the sentinels
        // only act on that after about 20 s). Its clients stay connected (REPLICAOF by hand does
        // not close them): the ROLE asked in every poll's first round trip sees it, the poll is
        // refused (reason sentinel), and the reconnect's own ROLE check refuses it again.
        let other = try RedisServer(version)
        try h.conn.run("REPLICAOF", "127.0.0.1", "\(other.port)")
        try eventually(10, "the replica refused") {
            let m = MetricSamples(try exporter.get("/metrics").text)
            return m.value("event_redis_up") == 0 && (Self.pollErrors(m)["sentinel"] ?? 0) >= 1
        }
        #expect(try set.currentMasterPort() == master.port, "the sentinels still name it: the refusal is the exporter's")
        #expect(exporter.stderr.text.contains("is a replica, not the master"))
        let refused = try exporter.get("/api/v1/events/consumer-lag").json()
        #expect(refused.bool("redis_connected") == false)
        #expect(MetricSamples(try exporter.get("/metrics").text).series("event_consumer_lag").isEmpty)

        // A master again, with new data: polled again.
        try h.conn.run("REPLICAOF", "NO", "ONE")
        try h.conn.run("FLUSHALL")
        try Self.seed(h.conn)
        try eventually(15, "the master polled again") {
            MetricSamples(try exporter.get("/metrics").text).value("event_redis_up") == 1
        }
        #expect(try Self.figures(h.freshJSON()) == Self.figures(of: h.conn))
    }

    // MARK: f. TLS and passwords everywhere

    /// Master, replica and sentinels serve TLS only and want passwords: the exporter asks the
    /// sentinels over TLS, reaches the master over TLS, compares every figure, and follows a
    /// forced failover to the new master's figures. Debian's 7.0 is the binary with TLS.
    @Test func sentinelWithTLSAndPasswords() throws {
        let pki = try RedisPKI()
        let masterPassword = "master-pw-\(UUID().uuidString.prefix(8))"
        let sentinelPassword = "sentinel-pw-\(UUID().uuidString.prefix(8))"
        let set = try SentinelSet(.withTLS, password: masterPassword, sentinelPassword: sentinelPassword, tls: pki)
        let secrets = try SecretsDir()
        let masterFile = try secrets.write("master", masterPassword + "\n")
        let sentinelFile = try secrets.write("sentinel", sentinelPassword + "\n")
        let h = try Harness(attachedTo: set.currentMaster())
        #expect(set.sentinelURLs().hasPrefix("rediss://"))
        try EndpointTests.compareEveryFigure(h, url: set.sentinelURLs(), exporterArguments: Self.sentinelFlags + [
            "--redis.password-file", masterFile, "--redis.sentinel.password-file", sentinelFile,
            "--redis.tls.ca-file", pki.path("ca.pem"),
        ], pollInterval: "200ms")
        let exporter = try require(h.exporter)
        #expect(try h.conn.run("WAIT", "1", "5000").int == 1)
        let failover = try set.failover()
        let n = try failover.new.connect()
        try n.addEntries("events:chat", 23)
        try n.run("XREADGROUP", "GROUP", Self.group, "instance-3", "COUNT", "4", "STREAMS", "events:chat", ">")
        let expected = try Self.figures(of: n)
        try eventually(10, "the new master's figures over TLS") {
            try Self.figures(exporter.get("/api/v1/events/consumer-lag").json()) == expected
        }
        let log = exporter.stderr.text
        #expect(log.contains("redis.address=127.0.0.1:\(failover.new.port)"), "\(log)")
        #expect(!log.contains(masterPassword) && !log.contains(sentinelPassword))
        #expect((Self.pollErrors(MetricSamples(try exporter.get("/metrics").text))["tls"] ?? 0) == 0)
    }

    // MARK: Helpers

    /// Lag, pending entries and acknowledgements on both streams.
    static func seed(_ r: RedisConnection) throws {
        try r.run("XGROUP", "CREATE", "events:chat", group, "$", "MKSTREAM")
        try r.addEntries("events:chat", 100)
        try r.run("XREADGROUP", "GROUP", group, "instance-1", "COUNT", "20", "STREAMS", "events:chat", ">")
        try r.run("XGROUP", "CREATE", "events:ticket", group, "$", "MKSTREAM")
        try r.addEntries("events:ticket", 40)
        try r.run("XREADGROUP", "GROUP", group, "instance-1", "COUNT", "10", "STREAMS", "events:ticket", ">")
        let ids = try r.run("XPENDING", "events:ticket", group, "-", "+", "4").array!.map { $0.array![0].text! }
        try r.command(["XACK", "events:ticket", group] + ids)
    }

    struct GroupFigures: Equatable, CustomStringConvertible {
        var lag: Int?
        var pending: Int?
        var lastDeliveredID: String?
        var description: String { "lag \(lag.map(String.init) ?? "nil"), pending \(pending.map(String.init) ?? "nil"), ldi \(lastDeliveredID ?? "nil")" }
    }

    /// Per stream, the group's figures as Redis itself gives them: the undelivered entries
    /// counted with XRANGE, XPENDING's count, XINFO GROUPS' last-delivered-id.
    static func figures(of r: RedisConnection) throws -> [String: GroupFigures] {
        var out: [String: GroupFigures] = [:]
        for stream in streams {
            out[stream] = GroupFigures(lag: try r.undelivered(stream, group: group).count,
                                       pending: try r.pendingCount(stream, group: group),
                                       lastDeliveredID: try r.groups(stream)[group]?["last-delivered-id"]?.text)
        }
        return out
    }

    /// The same figures from `/api/v1/events/consumer-lag`.
    static func figures(_ json: [String: Any]) throws -> [String: GroupFigures] {
        var out: [String: GroupFigures] = [:]
        for stream in streams {
            let g = try json.object("streams").object(stream).object("groups").object(group)
            out[stream] = GroupFigures(lag: g.int("lag"), pending: g.int("pending"), lastDeliveredID: g.string("last_delivered_id"))
        }
        return out
    }

    /// `event_exporter_poll_errors_total` by reason.
    static func pollErrors(_ m: MetricSamples) -> [String: Double] {
        var out: [String: Double] = [:]
        for labels in m.series("event_exporter_poll_errors_total") {
            out[labels["reason"] ?? ""] = m.value("event_exporter_poll_errors_total", labels)
        }
        return out.filter { $0.value > 0 }
    }
}

/// Scrapes `/metrics` and `/api/v1/events/consumer-lag` about every 50 ms on its own thread
/// until stopped, recording what each answered.
final class ScrapeLoop: Sendable {
    struct Record: Sendable {
        var startedAt: Date
        var ok = false
        var failure = ""
        /// The JSON snapshot's `collected_at` and figures.
        var collectedAt: Date?
        var figures: [String: SentinelTests.GroupFigures]?
        /// `/metrics`: lag per stream and the last successful poll's time.
        var metricsLag: [String: Int?] = [:]
        var lastSuccess: Date?
    }

    private let state = Mutex<[Record]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ exporter: ExporterProcess) {
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                let record = Self.scrape(exporter)
                state.withLock { $0.append(record) }
                usleep(50_000)
            }
            finished.signal()
        }
        thread.start()
    }

    private static func scrape(_ exporter: ExporterProcess) -> Record {
        var record = Record(startedAt: Date())
        do {
            let metrics = try exporter.get("/metrics")
            let lag = try exporter.get("/api/v1/events/consumer-lag")
            guard metrics.status == 200, lag.status == 200 else {
                record.failure = "status \(metrics.status) / \(lag.status)"
                return record
            }
            record.ok = true
            let m = MetricSamples(metrics.text)
            for stream in SentinelTests.streams {
                record.metricsLag[stream] = m.value("event_consumer_lag", ["stream": stream, "consumer_group": SentinelTests.group]).map(Int.init)
            }
            record.lastSuccess = m.value("event_exporter_last_poll_success_timestamp_seconds").map { Date(timeIntervalSince1970: $0) }
            let json = try lag.json()
            record.collectedAt = json.string("collected_at").flatMap(parseTimestamp)
            record.figures = try? SentinelTests.figures(json)
        } catch {
            record.ok = false
            record.failure = "\(error)"
        }
        return record
    }

    var records: [Record] { state.withLock { $0 } }

    /// Stops the loop, waits for its last scrape, returns every record.
    func stop() -> [Record] {
        stopping.store(true, ordering: .releasing)
        _ = finished.wait(timeout: .now() + 15)
        return records
    }
}
