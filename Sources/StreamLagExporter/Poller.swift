import CMalloc
import Dispatch
import Foundation
import LagCore
import Logging
import RedisClient
import RedisProtocol
import RedisTopology
import Synchronization

/// Runs the poll loop on its own thread (hiredis blocks): polls at once, then every interval;
/// reconnects with capped exponential backoff and jitter; hands every result to `publish`.
final class Poller: Sendable {
    private let config: ExporterConfig
    private let tls: RedisTLS?
    private let logger: Logger
    private let publish: @Sendable (Snapshot?, ExporterStatus) -> Void
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(config: ExporterConfig, tls: RedisTLS?, logger: Logger,
         publish: @escaping @Sendable (Snapshot?, ExporterStatus) -> Void) {
        self.config = config
        self.tls = tls
        self.logger = logger
        self.publish = publish
    }

    func start() {
        let thread = Thread { [self] in
            var loop = Loop(config: config, source: RedisSource(config: config, tls: tls), tls: tls, logger: logger, publish: publish)
            loop.run(stopping: { self.stopping.load(ordering: .acquiring) }, sleep: { seconds in
                _ = self.wakeUp.wait(timeout: .now() + seconds)
            })
            self.finished.signal()
        }
        thread.name = "poller"
        thread.start()
    }

    /// One poll on the calling thread, for `check`: the snapshot (nil when the poll failed) and
    /// the status it leaves. Single Redis, Sentinel or Cluster alike; discovery runs first.
    static func pollOnce(config: ExporterConfig, tls: RedisTLS?, logger: Logger) -> (Snapshot?, ExporterStatus) {
        var loop = Loop(config: config, source: RedisSource(config: config, tls: tls), tls: tls, logger: logger,
                        publish: { _, _ in })
        let ok = loop.pollOnce()
        loop.source.disconnect()
        loop.cluster.disconnect()
        return (ok ? loop.lastGood : nil, loop.status)
    }

    /// Stops after the current round trip; waits up to `timeout` seconds for the thread to end.
    func stop(timeout: Double) {
        stopping.store(true, ordering: .releasing)
        wakeUp.signal()
        _ = finished.wait(timeout: .now() + timeout)
    }
}

/// The poller thread's state: the connection, the collector, discovery and the counters.
private struct Loop {
    let config: ExporterConfig
    /// The server to poll and the connection to it (with Sentinel, the current master).
    let source: RedisSource
    let logger: Logger
    let publish: @Sendable (Snapshot?, ExporterStatus) -> Void
    let collector: Collector
    /// `--streams`, decoded once.
    let fixedStreams: [Name]
    /// The version of the Redis the source's connection talks to, read once a connection.
    var serverVersion: ServerVersion?
    var status = ExporterStatus()
    var lastGood: Snapshot?
    var discovered: [Name] = []
    var discoveredDropped = 0
    var lastDiscovery: ContinuousClock.Instant?
    var failures = 0
    /// Skip reasons already logged once.
    var loggedSkips = Set<String>()
    /// Redis Cluster: the map and a connection per primary; `clusterMode` is decided once, by
    /// `--redis.cluster` or (auto) by the first server reached.
    let cluster: ClusterSource
    var clusterMode: Bool?
    var refreshClusterMap = false

    init(config: ExporterConfig, source: RedisSource, tls: RedisTLS?, logger: Logger,
         publish: @escaping @Sendable (Snapshot?, ExporterStatus) -> Void) {
        self.config = config
        self.source = source
        self.logger = logger
        self.publish = publish
        collector = Collector(settings: .init(config: config))
        fixedStreams = config.streams.map(Name.init)
        cluster = ClusterSource(config: config, tls: tls)
        switch config.cluster {
        case .on: clusterMode = true
        case .off: clusterMode = false
        case .auto:
            // Several URLs are a cluster's seeds (or sentinels); one URL: its server says.
            if config.sentinel != nil { clusterMode = false } else if config.redisURLs.count > 1 { clusterMode = true }
        }
    }

    /// CPU time of the calling thread: what a poll costs the exporter, without waiting on Redis.
    private static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Polls, publishes, and waits for the rest of the interval. A cycle (poll and publish) that
    /// takes longer than the interval is an overrun: counted, and the next poll starts at once
    /// (polls never overlap or queue up).
    mutating func run(stopping: () -> Bool, sleep: (Double) -> Void) {
        let clock = ContinuousClock()
        var lastPublish = 0.0
        while !stopping() {
            let started = clock.now
            let cpuStarted = Self.threadCPUSeconds()
            let ok = pollOnce()
            let pollCPU = Self.threadCPUSeconds() - cpuStarted
            let seconds = Self.seconds(clock.now - started)
            status.pollDurations.observe(seconds)
            status.firstPollDone = true
            // Freshness allows 3 cycles: with polls slower than the interval, 3 of those.
            status.lastCycleSeconds = seconds + lastPublish
            let rendering = clock.now
            publish(lastGood, status)
            // A poll frees most of what it allocated; hand it back to the system rather than
            // keep the high-water mark as RSS (glibc keeps freed heap unless asked).
            malloc_trim(0)
            lastPublish = Self.seconds(clock.now - rendering)
            let cycle = seconds + lastPublish
            logger.debug("published", metadata: [
                "poll_ms": "\(Int(seconds * 1000))", "poll_cpu_ms": "\(Int(pollCPU * 1000))",
                "publish_ms": "\(Int(lastPublish * 1000))",
            ])
            if ok && cycle > config.pollInterval { status.pollOverruns += 1 }
            if stopping() { break }
            sleep(ok ? max(config.pollInterval - cycle, 0) : backoff())
        }
        source.disconnect()
        cluster.disconnect()
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Exponential from 100 ms, capped at 5 s and at the poll interval, with full jitter in
    /// its upper half. Waiting longer than an interval spares Redis nothing (a healthy exporter
    /// sends a poll every interval anyway) and would break the promise that the exporter is
    /// healthy again within two poll intervals of Redis returning.
    private mutating func backoff() -> Double {
        let base = min(5.0, config.pollInterval, 0.1 * pow(2.0, Double(min(failures - 1, 10))))
        return base * Double.random(in: 0.5...1.0)
    }

    mutating func pollOnce() -> Bool {
        status.pollsTotal += 1
        do {
            if clusterMode == nil {
                let (connection, _) = try connected()
                clusterMode = try ClusterSource.isCluster(connection)
                if clusterMode == true {
                    logger.info("redis cluster mode (cluster_enabled:1)", metadata: ["redis.address": "\(source.current.description)"])
                    source.disconnect()
                }
            }
            if clusterMode == true {
                try pollCluster()
            } else {
                try pollOnce(retry: source.isSentinel)
            }
            return true
        } catch let error as RedisError {
            fail(reason: error.kind.rawValue, message: error.description)
        } catch let error as ReplyError {
            fail(reason: error.kind.rawValue, message: error.description)
        } catch {
            fail(reason: "internal", message: "\(error)")
        }
        return false
    }

    /// One poll. With Sentinel, a connection that broke under an open one (the old master
    /// closes its clients when it becomes a replica) is retried once at once, through the
    /// sentinels, so that a failover costs no poll.
    private mutating func pollOnce(retry: Bool) throws {
        let (redis, fresh) = try connected()
        do {
            try poll(redis)
        } catch let error as RedisError where retry && !fresh && error.kind == .io {
            logger.info("connection lost; asking the sentinels again", metadata: [
                "redis.address": "\(source.current.description)", "error": "\(error.description)",
            ])
            source.disconnect()
            try pollOnce(retry: false)
        }
    }

    private mutating func poll(_ connection: RedisConnection) throws {
        let redis = source.pipeline(for: connection)
        try discoverIfDue(redis)
        let (snapshot, stats) = try collector.poll(
            fixed: fixedStreams, discovered: discovered, via: redis, version: serverVersion,
            wallClock: { Date().timeIntervalSince1970 })
        for (reason, count) in stats.skipped { status.pollErrors[reason, default: 0] += count }
        logFirstSkips(stats)
        status.lastRoundTrips = stats.roundTrips
        status.lastCommands = stats.commands
        status.streamsMonitored = snapshot.streams.count
        status.streamsDropped = discoveredDropped
        status.redisUp = true
        status.lastError = nil
        status.lastSuccessAt = Date().timeIntervalSince1970
        lastGood = snapshot
        if failures > 0 { logger.info("redis reachable again", metadata: ["redis.address": "\(source.current.description)"]) }
        failures = 0
    }

    /// A cluster poll: the map read when it may have changed, discovery on every primary when
    /// due, then every primary at once (`ClusterPoll`).
    private mutating func pollCluster() throws {
        if refreshClusterMap || cluster.map == nil {
            let before = cluster.map
            let map = try cluster.refresh()
            if map != before {
                logger.info("redis cluster map", metadata: [
                    "redis.primaries": "\(map.primaries.map(\.description).joined(separator: ","))",
                    "redis.unserved_slots": "\(map.uncoveredSlots)",
                ])
            }
            refreshClusterMap = false
        }
        try discoverClusterIfDue()
        var stats = PollStats()
        let fixedSet = Set(fixedStreams)
        let names = Collector.uniqueDisplay((fixedStreams + discovered.filter { !fixedSet.contains($0) }).sorted(), &stats)
        let outcome = try ClusterPoll(cluster: cluster, collector: collector).poll(names: names, fixed: fixedSet, previous: lastGood)
        stats.merge(outcome.stats)
        refreshClusterMap = outcome.refreshMap
        var nodes: [String: NodeStatus] = [:]
        for (node, result) in outcome.nodes {
            var n = status.nodes[node.description] ?? NodeStatus(up: true)
            n.up = result.error == nil
            n.pollSeconds = result.seconds
            n.staleStreams = result.staleStreams
            if let error = result.error {
                n.errors += 1
                let reason = (error as? RedisError)?.kind.rawValue ?? (error as? ReplyError)?.kind.rawValue ?? "internal"
                n.lastError = "\(error)"
                status.pollErrors[reason, default: 0] += 1
                if status.nodes[node.description]?.up != false {
                    logger.warning("redis cluster node did not answer; its streams are shown stale", metadata: [
                        "redis.node": "\(node)", "reason": "\(reason)", "error": "\(error)",
                    ])
                }
            } else {
                n.lastError = nil
            }
            nodes[node.description] = n
        }
        // A primary that left the map with slots no one serves now (it died with no replica):
        // still down, with the streams of those slots.
        if outcome.unservedStale > 0 {
            for (key, old) in status.nodes where nodes[key] == nil {
                var n = old
                if n.up { n.errors += 1 }
                n.up = false
                n.staleStreams = outcome.unservedStale
                n.lastError = n.lastError ?? "serves no slot any more"
                nodes[key] = n
            }
        }
        status.nodes = nodes
        for (reason, count) in stats.skipped { status.pollErrors[reason, default: 0] += count }
        logFirstSkips(stats)
        status.lastRoundTrips = stats.roundTrips
        status.lastCommands = stats.commands
        status.streamsMonitored = outcome.snapshot.streams.count
        status.streamsDropped = discoveredDropped
        status.redisUp = true
        status.lastError = nil
        status.lastSuccessAt = Date().timeIntervalSince1970
        lastGood = outcome.snapshot
        if failures > 0 { logger.info("redis cluster reachable again") }
        failures = 0
    }

    /// Discovery on each primary (SCAN is per node), the names merged and capped together. The
    /// names a primary that did not answer had are kept (shown stale), not dropped.
    private mutating func discoverClusterIfDue() throws {
        guard !config.streamPatterns.isEmpty, let map = cluster.map else { return }
        let now = ContinuousClock.now
        if let last = lastDiscovery, now - last < .milliseconds(Int64(config.discoveryInterval * 1000)) { return }
        let fixed = Set(fixedStreams)
        let limit = max(config.maxStreams - fixed.count, 0)
        var found = Set<Name>()
        var dropped = 0
        var failed = Set<ClusterNode>()
        for node in map.primaries {
            do {
                let result = try Discovery.discover(patterns: config.streamPatterns, excluding: fixed, exclude: config.streamExcludes, limit: limit,
                                                    via: try cluster.connection(to: node))
                found.formUnion(result.streams)
                dropped += result.dropped
            } catch {
                cluster.drop(node)
                failed.insert(node)
            }
        }
        if failed.count == map.primaries.count { throw RedisError(.connect, "no cluster primary answered discovery") }
        // The SCANs of the primaries are not one instant: a key that migrates from a primary not
        // scanned yet to one already scanned is seen by neither. A stream the last poll read
        // stays until a poll finds it gone (a deleted one leaves then, as on one Redis); so do
        // the streams of a primary that did not answer.
        let lastSeen = Set(lastGood?.streams.lazy.filter { $0.exists }.map(\.name) ?? [])
        for name in discovered where lastSeen.contains(name) || (map.primary(for: name.bytes).map(failed.contains) ?? false) {
            found.insert(name)
        }
        let sorted = found.sorted()
        dropped += max(sorted.count - limit, 0)
        let kept = Array(sorted.prefix(limit))
        lastDiscovery = now
        adopt(discovered: kept, dropped: dropped, ["redis.primaries": "\(map.primaries.count)"])
    }

    /// A reason to skip something is logged the first time it happens, with an example; later
    /// ones are only counted (`event_exporter_poll_errors_total`), so that a key that stays
    /// wrong does not write a line every poll.
    private mutating func logFirstSkips(_ stats: PollStats) {
        // A rewind (last-delivered-id moved backwards: entries are delivered again) is said
        // each time it happens; event_consumer_rewinds_total counts them.
        for rewind in stats.rewound {
            logger.warning("consumer group rewound", metadata: ["group": "\(rewind)"])
        }
        for (reason, example) in stats.firstSkip.sorted(by: { $0.key < $1.key }) where !loggedSkips.contains(reason) {
            loggedSkips.insert(reason)
            logger.warning("skipped during a poll; later ones are only counted", metadata: [
                "reason": "\(reason)", "example": "\(example)", "count": "\(stats.skipped[reason] ?? 0)",
            ])
        }
    }

    private mutating func fail(reason: String, message: String) {
        source.disconnect()
        if clusterMode == true {
            cluster.disconnect()
            refreshClusterMap = true
            for key in status.nodes.keys { status.nodes[key]?.up = false }
        }
        failures += 1
        status.redisUp = false
        status.lastError = message
        status.pollErrors[reason, default: 0] += 1
        let metadata: Logger.Metadata = [
            "redis.address": "\(source.current.description)", "reason": "\(reason)",
            "error": "\(message)", "failures": "\(failures)",
        ]
        if failures == 1 {
            logger.warning("poll failed; reconnecting with backoff", metadata: metadata)
        } else {
            logger.debug("poll failed again", metadata: metadata)
        }
    }

    private mutating func connected() throws -> (RedisConnection, Bool) {
        let (fresh, isNew) = try source.connected()
        guard isNew else { return (fresh, false) }
        // Which of Redis' own lag figures are right depends on its version (LagTrust). A user
        // without INFO still gets exact figures: unknown means counting. A broken connection
        // is a failed poll, with its reason (a TLS server behind redis:// shows here first).
        let info = try fresh.command(["INFO", "server"])
        // A server that refuses the client (maxclients reached, LOADING, ...) answers with an
        // error and may close: its words are the poll's error, not a later "connection closed".
        // A user whose ACL forbids INFO, or a server that renamed it, still polls (an unknown
        // version means counting).
        if let refusal = info.errorMessage, !refusal.hasPrefix("NOPERM"), !refusal.hasPrefix("ERR unknown command") {
            source.disconnect()
            if refusal.hasPrefix("NOAUTH") { throw RedisError(.auth, "authentication failed: \(refusal)") }
            throw RedisError(.connect, "redis refused the connection: \(refusal)")
        }
        serverVersion = info.text.flatMap(ServerVersion.init(info:))
        logger.info("connected to redis", metadata: [
            "redis.address": "\(source.current.description)", "redis.version": "\(serverVersion?.description ?? "unknown")",
        ])
        return (fresh, true)
    }

    private mutating func discoverIfDue(_ redis: any RedisPipeline) throws {
        guard !config.streamPatterns.isEmpty else { return }
        let now = ContinuousClock.now
        if let last = lastDiscovery, now - last < .milliseconds(Int64(config.discoveryInterval * 1000)) { return }
        let fixed = Set(fixedStreams)
        let result = try Discovery.discover(patterns: config.streamPatterns, excluding: fixed, exclude: config.streamExcludes,
                                            limit: max(config.maxStreams - fixed.count, 0), via: redis)
        lastDiscovery = now
        adopt(discovered: result.streams, dropped: result.dropped, ["redis.round_trips": "\(result.roundTrips)"])
    }

    /// A discovery's result becomes the monitored list; a change is logged, and the first time
    /// streams are left out because of `--streams.max`, a warning.
    private mutating func adopt(discovered streams: [Name], dropped: Int, _ detail: Logger.Metadata) {
        if streams != discovered || dropped != discoveredDropped {
            logger.info("stream discovery", metadata: detail.merging([
                "streams.discovered": "\(streams.count)", "streams.dropped": "\(dropped)",
            ]) { a, _ in a })
        }
        if dropped > 0 && discoveredDropped == 0 {
            logger.warning("more streams match than --streams.max allows; the excess is not monitored",
                           metadata: ["streams.max": "\(config.maxStreams)", "streams.dropped": "\(dropped)"])
        }
        discovered = streams
        discoveredDropped = dropped
    }
}
