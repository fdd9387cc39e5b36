import Foundation
import RedisClient
import RedisProtocol
import Testing

/// The exporter against a real Redis Cluster (three primaries, three replicas) of every version:
/// every figure compared with what the primary that owns the stream reports (XINFO, XRANGE,
/// XPENDING, XLEN on that node), routing from one seed and from a dead seed plus a replica, a
/// killed primary under a scrape loop, and a reshard while polling. Serialized: each test runs
/// six redis-servers on a 2-core machine.
@Suite("Redis Cluster", .serialized)
struct ClusterTests {
    static let group = "signalr-consumers"

    /// Streams in slots spread over the whole range (so over every primary), each with a
    /// different history: entries added, part read by two consumers, part of that acknowledged.
    static func populate(_ cluster: RedisCluster, prefix: String, every step: Int) throws -> [[UInt8]] {
        let keys = try cluster.keys(prefix: prefix, forSlots: stride(from: 0, to: 16_384, by: step)).values
            .sorted { $0.lexicographicallyPrecedes($1) }
        try cluster.addEntries(keys, 30)
        try cluster.createGroup(group, on: keys)
        func readCommand(_ key: [UInt8], _ consumer: String, _ count: Int) -> KeyedCommand {
            KeyedCommand(key: key, ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(count)", "STREAMS"].map { Array($0.utf8) }
                + [key, Array(">".utf8)])
        }
        let reads = keys.enumerated().flatMap { i, key in
            [readCommand(key, "instance-1", i % 11), readCommand(key, "instance-2", i % 7 + 1)]
        }
        let replies = try cluster.run(reads)
        #expect(replies.allSatisfy { $0.errorMessage == nil })
        return keys
    }

    /// Every figure of every stream in `keys` against its owning primary's own answers.
    static func compareWithOwners(_ cluster: RedisCluster, _ exporter: ExporterProcess, _ keys: [[UInt8]],
                                  _ note: String) throws {
        let json = try exporter.freshJSON()
        let streams = try json.object("streams")
        let listed = try exporter.freshJSON(path: "/api/v1/events/streams")
        let lengths = Dictionary((listed["streams"] as? [[String: Any]] ?? []).map { ($0.string("name") ?? "", $0.int("length")) },
                                 uniquingKeysWith: { a, _ in a })
        for key in keys {
            let name = String(decoding: key, as: UTF8.self)
            let owner = try cluster.node(owning: key)
            let r = try cluster.connection(to: owner)
            let stream = try streams.object(name)
            #expect(stream["stale"] == nil, "\(note): \(name) is fresh")
            let g = try stream.object("groups").object(group)
            let info = try #require(try r.groups(key)[group], "\(note): \(name) has its group on \(owner)")
            #expect(g.int("lag") == (try r.undelivered(key, group: group)).count, "\(note): \(name) lag")
            #expect(g.bool("lag_exact") == true)
            #expect(g.int("pending") == (try r.pendingCount(name, group: group)), "\(note): \(name) pending")
            #expect(g.string("last_delivered_id") == info["last-delivered-id"]?.text, "\(note): \(name)")
            if let read = info["entries-read"]?.int { #expect(g.int("entries_read") == Int(read), "\(note): \(name)") }
            #expect(lengths[name] == (try r.run("XLEN", name).int).map(Int.init), "\(note): \(name) length")
        }
    }

    /// `keys` as the value of `--streams`.
    private static func streamsFlag(_ keys: [[UInt8]]) -> String {
        keys.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
    }

    private static func startExporter(_ arguments: [String], pollInterval: String = "100ms") throws -> ExporterProcess {
        try ExporterProcess(arguments + ["--poll.interval", pollInterval, "--consumer-group", "*", "--log.level", "info"])
    }

    /// Discovery from one seed finds the streams of every primary, and every figure is the
    /// owning node's; the node families name each primary, stream series carry no node label.
    @Test(arguments: RedisVersion.all)
    func everyFigureMatchesTheOwningPrimary(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let keys = try Self.populate(cluster, prefix: "events:", every: 331)
        let primaries = try cluster.primaries
        let exporter = try Self.startExporter(["--redis.url", primaries[1].url, "--streams", "fixed:none",
                                               "--streams.pattern", "events:*"])
        let json = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        #expect(Set(try json.object("streams").keys) == Set(keys.map { String(decoding: $0, as: UTF8.self) } + ["fixed:none"]))
        try Self.compareWithOwners(cluster, exporter, keys, "redis \(version.name)")

        let m = MetricSamples(try exporter.get("/metrics").text)
        let nodes = Set(primaries.map { "127.0.0.1:\($0.port)" })
        for node in nodes {
            #expect(m.value("event_exporter_node_up", ["node": node]) == 1, "\(node) up")
            #expect(m.value("event_exporter_node_poll_errors_total", ["node": node]) == 0)
            #expect((m.value("event_exporter_node_poll_duration_seconds", ["node": node]) ?? 0) > 0)
        }
        #expect(m.value("event_redis_up") == 1)
        #expect((1...2).contains(m.value("event_exporter_poll_redis_round_trips") ?? 0),
                "each primary: the round trips of one Redis (1 once no group moved since the last poll)")
        let text = try exporter.get("/metrics").text
        #expect(!text.contains("event_consumer_lag{node="), "stream series carry no node label")
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("event_consumer_lag{") }.count == keys.count)
        #expect(exporter.terminate() == 0)
    }

    /// Fixed names only (no discovery), routed by hash slot, hash-tagged names included; seeds
    /// that are a dead address and a replica.
    @Test(arguments: RedisVersion.all)
    func fixedNamesAreRoutedFromADeadSeedAndAReplica(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        var keys = try Self.populate(cluster, prefix: "orders:", every: 1499)
        let tagged = ["{tenant-7}:created", "{tenant-7}:paid"].map { Array($0.utf8) }
        try cluster.addEntries(tagged, 4)
        try cluster.createGroup(Self.group, on: tagged)
        keys += tagged
        #expect(try cluster.slot(of: tagged[0]) == cluster.slot(of: tagged[1]))
        let replica = try #require(try cluster.replicas.first)
        let dead = try freeLoopbackPort()
        let exporter = try Self.startExporter(["--redis.url", "redis://127.0.0.1:\(dead)/0,\(replica.url)",
                                               "--streams", Self.streamsFlag(keys)])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count }
        try Self.compareWithOwners(cluster, exporter, keys, "redis \(version.name), fixed names")
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(Set(try cluster.primaries.map { "127.0.0.1:\($0.port)" }.filter { m.value("event_exporter_node_up", ["node": $0]) == 1 }).count == 3,
                "the replica seed named every primary; none polled is a replica")
        #expect(exporter.terminate() == 0)
    }

    /// `--redis.cluster false` pointed at one primary, with fixed names over every primary: the
    /// keys it owns are read and equal its own figures; the others are answered `MOVED`, shown
    /// unreadable and counted under `moved`. (Such a MOVED once sorted the streams away from
    /// their groups' work and crashed the first poll: found by the collector fuzz target.)
    @Test func clusterModeOffReadsOnlyTheSeedsOwnKeys() throws {
        let cluster = try RedisCluster(RedisVersion.newest, replicasPerPrimary: 0)
        let keys = try Self.populate(cluster, prefix: "orders:", every: 997)
        let seed = try cluster.primaries[1]
        let owned = try keys.filter { try cluster.node(owning: $0).port == seed.port }
        let elsewhere = try keys.filter { try cluster.node(owning: $0).port != seed.port }
        #expect(!owned.isEmpty && !elsewhere.isEmpty)
        let exporter = try Self.startExporter(["--redis.url", seed.url, "--redis.cluster", "false",
                                               "--streams", Self.streamsFlag(keys)])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count }
        try Self.compareWithOwners(cluster, exporter, owned, "cluster mode off, the seed's own keys")
        let listed = try exporter.freshJSON(path: "/api/v1/events/streams")
        let errors = Dictionary((listed["streams"] as? [[String: Any]] ?? []).map { ($0.string("name") ?? "", $0.string("error")) },
                                uniquingKeysWith: { a, _ in a })
        for key in elsewhere {
            let name = String(decoding: key, as: UTF8.self)
            #expect(errors[name] == "redis' reply for this key could not be read", "\(name) is on another primary")
        }
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect((m.value("event_exporter_poll_errors_total", ["reason": "moved"]) ?? 0) >= Double(elsewhere.count))
        #expect(m.value("event_redis_up") == 1)
        #expect(exporter.terminate() == 0, "the exporter is still running")
    }

    /// A primary SIGKILLed under a scrape loop: its streams stay in the JSON (stale while it is
    /// down), no stream is ever missing or doubled, and once its replica is promoted every
    /// figure is the new owner's again within two polls. Other primaries' streams keep fresh
    /// figures whenever the cluster serves keys.
    @Test(arguments: RedisVersion.all)
    func killedPrimaryIsFollowedAfterItsReplicaIsPromoted(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let keys = try Self.populate(cluster, prefix: "events:", every: 397)
        let primaries = try cluster.primaries
        let victim = primaries[1]
        for p in primaries { _ = try cluster.ask(p, "WAIT", "1", "5000") }
        let exporter = try Self.startExporter(["--redis.url", primaries[0].url, "--streams", "fixed:none",
                                               "--streams.pattern", "events:*"], pollInterval: "250ms")
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        let names = Set(keys.map { String(decoding: $0, as: UTF8.self) } + ["fixed:none"])
        let victimKeys = try keys.filter { try cluster.node(owning: $0) === victim }
        #expect(!victimKeys.isEmpty)

        // Scrape every ~50 ms while the primary dies and its replica takes over.
        let scraping = LagScrapeLoop(exporter: exporter)
        try cluster.kill(victim)
        let promoted = try cluster.waitForPromotion()
        try cluster.waitUntilSettled()
        let settled = Date()
        // Within two polls of the cluster serving again, every figure is right and fresh.
        var stillStale: [String] = []
        do {
            _ = try exporter.freshJSON(since: settled.addingTimeInterval(0.5), timeout: 10) { json in
                let streams = try json.object("streams")
                stillStale = streams.filter { ($0.value as? [String: Any])?["stale"] != nil }.map(\.key).sorted()
                return stillStale.isEmpty
            }
        } catch {
            Issue.record("still stale: \(stillStale.prefix(5)); exporter log:\n\(exporter.stderr.text.suffix(3000))")
            throw error
        }
        let recovered = Date().timeIntervalSince(settled)
        let samples = scraping.stop()
        print("redis \(version.name): fresh \(String(format: "%.2f", recovered)) s after the cluster settled; \(samples.count) scrapes")
        #expect(recovered < 2 * 0.25 + 0.75, "within two polls (and one more for the snapshot's publication)")
        try Self.compareWithOwners(cluster, exporter, keys, "redis \(version.name) after the failover")
        #expect(try victimKeys.allSatisfy { try cluster.node(owning: $0) === promoted })

        // Every scrape: every stream once, none missing; the dead node's streams stale, never 0.
        #expect(!samples.isEmpty)
        for sample in samples {
            #expect(Set(sample.streams) == names, "no stream lost or added")
            #expect(sample.streamCount == names.count, "none counted twice")
            #expect(sample.status == 200)
        }
        #expect(samples.contains { !$0.staleStreams.isEmpty }, "the dead primary's streams were shown stale")
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_exporter_node_up", ["node": "127.0.0.1:\(promoted.port)"]) == 1)
        #expect(m.value("event_exporter_node_up", ["node": "127.0.0.1:\(victim.port)"]) == nil, "the dead node left the map")
        #expect(exporter.terminate() == 0)
    }

    /// A primary with no replica dies in a cluster that serves the other slots meanwhile
    /// (`cluster-require-full-coverage no`): only its streams are stale (JSON) and without series,
    /// its node is down and named by the health endpoint; the other primaries' streams keep
    /// their fresh figures and series at every poll.
    @Test(arguments: RedisVersion.all)
    func aDeadPrimaryMarksOnlyItsOwnStreamsStale(version: RedisVersion) throws {
        let cluster = try RedisCluster(version, replicasPerPrimary: 0)
        for node in cluster.nodes { try cluster.ask(node, "CONFIG", "SET", "cluster-require-full-coverage", "no") }
        let keys = try Self.populate(cluster, prefix: "events:", every: 509)
        let primaries = try cluster.primaries
        let victim = primaries[2]
        let exporter = try Self.startExporter(["--redis.url", primaries[0].url, "--streams", "fixed:none",
                                               "--streams.pattern", "events:*"], pollInterval: "200ms")
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        // The dead primary's streams: discovered ones, and the fixed name if its slot is there.
        let victimNames = Set(try (keys + [Array("fixed:none".utf8)]).filter { try cluster.node(owning: $0) === victim }
            .map { String(decoding: $0, as: UTF8.self) })
        let otherKeys = try keys.filter { try cluster.node(owning: $0) !== victim }
        #expect(!victimNames.isEmpty && !otherKeys.isEmpty)

        try cluster.kill(victim)
        let victimNode = "127.0.0.1:\(victim.port)"
        let json = try exporter.freshJSON(since: Date().addingTimeInterval(1.5), timeout: 15) { json in
            let streams = try json.object("streams")
            return victimNames.allSatisfy { (streams[$0] as? [String: Any])?.bool("stale") == true }
        }
        let streams = try json.object("streams")
        #expect(streams.count == keys.count + 1, "no stream lost")
        let stale = Set(streams.filter { ($0.value as? [String: Any])?.bool("stale") == true }.map(\.key))
        #expect(stale == victimNames, "exactly the dead primary's streams are stale")
        // The others: fresh figures, their owners' own.
        try Self.compareWithOwners(cluster, exporter, otherKeys, "redis \(version.name), one primary dead")
        let text = try exporter.get("/metrics").text
        let m = MetricSamples(text)
        #expect(m.value("event_exporter_node_up", ["node": victimNode]) == 0)
        #expect(m.value("event_redis_up") == 1)
        for name in victimNames {
            #expect(m.value("event_consumer_lag", ["stream": name, "consumer_group": Self.group]) == nil, "\(name): no frozen series")
        }
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("event_consumer_lag{") }.count == otherKeys.count)
        let health = try exporter.get("/api/v1/events/health")
        #expect(health.status == 200)
        let reasons = (try health.json()["reasons"] as? [String]) ?? []
        #expect(reasons.contains { $0.contains("redis cluster node \(victimNode) is down (\(victimNames.count) streams stale)") }, "\(reasons)")
        #expect(try health.json().string("status") == "degraded")
        // Polls later (the map read again, the dead node's slots served by no one): the same.
        let later = try exporter.freshJSON(since: Date().addingTimeInterval(1))
        let laterStreams = try later.object("streams")
        #expect(laterStreams.count == keys.count + 1, "no stream lost later either")
        #expect(Set(laterStreams.filter { ($0.value as? [String: Any])?.bool("stale") == true }.map(\.key)) == victimNames)
        #expect(MetricSamples(try exporter.get("/metrics").text).value("event_exporter_node_up", ["node": victimNode]) == 0)
        #expect(exporter.terminate() == 0)
    }

    /// `redis-cli --cluster reshard` of 600 slots while the exporter polls every 100 ms: at
    /// every scrape every stream is there once; afterwards every figure is the new owner's.
    @Test(arguments: RedisVersion.all)
    func reshardWhilePollingLosesAndDoublesNothing(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let primaries = try cluster.primaries
        let (source, target) = (primaries[0], primaries[2])
        // One stream in each of the source's first 150 slots, some spread elsewhere.
        let sourceSlots = try cluster.slotMap().slots(ownedBy: source.id)
        var keys = try cluster.keys(prefix: "events:r", forSlots: sourceSlots.prefix(150)).values.sorted { $0.lexicographicallyPrecedes($1) }
        try cluster.addEntries(keys, 10)
        try cluster.createGroup(Self.group, on: keys)
        let reads = try cluster.run(keys.map {
            KeyedCommand(key: $0, ["XREADGROUP", "GROUP", Self.group, "c", "COUNT", "3", "STREAMS"].map { Array($0.utf8) } + [$0, Array(">".utf8)])
        })
        #expect(reads.allSatisfy { $0.errorMessage == nil })
        keys += try Self.populate(cluster, prefix: "events:o", every: 2048)
        let exporter = try Self.startExporter(["--redis.url", primaries[1].url, "--streams", "fixed:none",
                                               "--streams.pattern", "events:*", "--streams.discovery-interval", "200ms"])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        let names = Set(keys.map { String(decoding: $0, as: UTF8.self) } + ["fixed:none"])
        let totalLag = try exporter.freshJSON().int("total_lag")

        let scraping = LagScrapeLoop(exporter: exporter)
        let reshard = try cluster.startMovingSlots(600, from: source, to: target)
        try reshard.wait(timeout: 60)
        try cluster.waitUntilSettled()
        _ = try exporter.freshJSON(since: Date().addingTimeInterval(0.3))
        let samples = scraping.stop()
        print("redis \(version.name): \(samples.count) scrapes during the reshard")
        #expect(samples.count > 5)
        for sample in samples {
            #expect(Set(sample.streams) == names, "no stream lost or added during the reshard")
            #expect(sample.streamCount == names.count)
            #expect(sample.totalLag == totalLag, "nothing counted twice or lost: the lag did not move")
        }
        try Self.compareWithOwners(cluster, exporter, keys, "redis \(version.name) after the reshard")
        #expect(exporter.terminate() == 0)
    }

    /// As the ACL user of docs/redis.md's cluster rule, created on every node: every figure
    /// is the owners', nothing refused.
    @Test(arguments: RedisVersion.all)
    func asTheDocumentedACLUser(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let keys = try Self.populate(cluster, prefix: "events:", every: 1201)
        let password = "acl-\(UUID().uuidString.prefix(8))"
        let rule = try ACLTests.documentedRule(password: password, marker: "acl-rule-cluster")
        for node in cluster.nodes {
            let reply = try cluster.ask(node, rule.map { Array($0.utf8) })
            #expect(reply.errorMessage == nil, "\(node): \(reply)")
        }
        let seed = try cluster.replicas[0]
        let exporter = try Self.startExporter(["--redis.url", "redis://\(ACLTests.user):\(password)@127.0.0.1:\(seed.port)/0",
                                               "--streams", "fixed:none", "--streams.pattern", "events:*"])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        try Self.compareWithOwners(cluster, exporter, keys, "redis \(version.name) as the ACL user")
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.value("event_exporter_poll_errors_total", ["reason": "noperm"]) == 0)
        #expect(m.value("event_exporter_poll_errors_total", ["reason": "auth"]) == 0)
        #expect(exporter.terminate() == 0)
    }

    /// A password rotated on every node and then in `--redis.password-file`: the exporter's
    /// connections, cut by `CLIENT KILL`, fail to authenticate until the file says the new
    /// password, and then every node is polled again without a restart. Newest Redis only: what
    /// is tested is the exporter's reconnecting.
    @Test func aPasswordRotatedInTheFileReachesEveryNode() throws {
        let cluster = try RedisCluster(RedisVersion.newest)
        let keys = try Self.populate(cluster, prefix: "events:", every: 2003)
        let old = "old-\(UUID().uuidString.prefix(8))", new = "new-\(UUID().uuidString.prefix(8))"
        for node in cluster.nodes {
            let reply = try cluster.ask(node, "ACL", "SETUSER", "rotated", "on", ">\(old)", "~*", "&*", "+@all")
            #expect(reply.errorMessage == nil, "\(node): \(reply)")
        }
        let secrets = try SecretsDir()
        let file = try secrets.write("redis-password", old + "\n")
        let exporter = try Self.startExporter(["--redis.url", "redis://rotated@127.0.0.1:\(cluster.nodes[0].port)/0",
                                               "--redis.password-file", file, "--streams", "fixed:none",
                                               "--streams.pattern", "events:*"])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        try Self.compareWithOwners(cluster, exporter, keys, "before the rotation")

        for node in cluster.nodes {
            #expect(try cluster.ask(node, "ACL", "SETUSER", "rotated", "resetpass", ">\(new)").errorMessage == nil)
            _ = try cluster.ask(node, "CLIENT", "KILL", "USER", "rotated")
        }
        try eventually(10, "authentication fails on the old password") {
            let m = MetricSamples(try exporter.get("/metrics").text)
            return (m.value("event_exporter_poll_errors_total", ["reason": "auth"]) ?? 0) > 0
        }
        _ = try secrets.write("redis-password", new + "\n")
        let since = Date()
        _ = try exporter.freshJSON(since: since) { json in
            let streams = json["streams"] as? [String: [String: Any]] ?? [:]
            return streams.count == keys.count + 1 && streams.values.allSatisfy { $0["stale"] == nil }
        }
        try Self.compareWithOwners(cluster, exporter, keys, "after the file was rotated")
        let m = MetricSamples(try exporter.get("/metrics").text)
        #expect(m.series("event_exporter_node_up").allSatisfy { m.value("event_exporter_node_up", $0) == 1 })
        for text in [try exporter.get("/metrics").text, try exporter.get("/api/v1/events/health").text, exporter.stderr.text] {
            #expect(!text.contains(old) && !text.contains(new), "no password in any output")
        }
        #expect(exporter.terminate() == 0)
    }

    /// Every node TLS-only (Debian's 7.0 has TLS): the exporter reaches the cluster over
    /// rediss:// with the CA, and every figure is the owner's.
    @Test func clusterOverTLS() throws {
        let pki = try RedisPKI()
        let cluster = try RedisCluster(.withTLS, tls: pki)
        let keys = try Self.populate(cluster, prefix: "events:", every: 997)
        let seed = try cluster.primaries[0]
        let exporter = try Self.startExporter(["--redis.url", "rediss://127.0.0.1:\(seed.port)/0",
                                               "--redis.tls.ca-file", pki.path("ca.pem"), "--streams", "fixed:none",
                                               "--streams.pattern", "events:*"])
        _ = try exporter.freshJSON { $0.int("stream_count") == keys.count + 1 }
        try Self.compareWithOwners(cluster, exporter, keys, "TLS cluster")
        #expect(exporter.terminate() == 0)
    }
}

/// Scrapes the consumer-lag JSON about every 50 ms on its own thread until stopped (what a
/// cluster test checks at every scrape: which streams, how many, the total lag, which stale).
final class LagScrapeLoop: @unchecked Sendable {
    struct Sample {
        var status: Int
        var streams: [String]
        var streamCount: Int?
        var totalLag: Int?
        var staleStreams: [String]
    }

    private let lock = NSLock()
    private var samples: [Sample] = []
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(exporter: ExporterProcess, every interval: Double = 0.05) {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                if let response = try? exporter.get("/api/v1/events/consumer-lag") {
                    let json = (try? response.json()) ?? [:]
                    let streams = json["streams"] as? [String: Any] ?? [:]
                    let stale = streams.filter { ($0.value as? [String: Any])?.bool("stale") == true }.map(\.key)
                    let sample = Sample(status: response.status, streams: Array(streams.keys), streamCount: json.int("stream_count"),
                                        totalLag: json.int("total_lag"), staleStreams: stale)
                    lock.withLock { samples.append(sample) }
                }
                usleep(UInt32(interval * 1_000_000))
            }
            done.signal()
        }
        thread.start()
    }

    func stop() -> [Sample] {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { samples }
    }
}
