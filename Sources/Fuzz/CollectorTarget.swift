import LagCore
import RedisProtocol

/// Discovery and two polls by one collector (so lag windows, rates and stall clocks see a
/// second poll) against `HostileRedis`, then every renderer of the result: the path an
/// out-of-range integer in a reply once crashed.
enum CollectorTarget {
    static let versions: [ServerVersion?] = [nil, ServerVersion(6, 2, 5), ServerVersion(7, 0, 15), ServerVersion(7, 2), ServerVersion(8, 2, 3)]

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        var config = ExporterConfig()
        config.groups = input.bool() ? nil : [Array("g0".utf8), Array("g1".utf8)]
        config.lagCountLimit = input.pick([0, 1, 3, 10_000])
        config.maxConsumersPerGroup = input.pick([0, 1, 100])
        config.lagWindow = input.pick([0, 1, 300])
        config.stallAfter = input.pick([0, 1, 300])
        let version = input.pick(versions)
        let redis = HostileRedis(input)

        let fixed = [Name("s0"), Name("s1")]
        let discovered = (try? Discovery.discover(patterns: ["s*", "t*"], excluding: Set(fixed), limit: 3, scanCount: 10, via: redis))?.streams ?? []
        let collector = Collector(settings: Collector.Settings(config: config))
        var wallClock = Double(HostileRedis.nowMs) / 1000
        var status = ExporterStatus()
        for _ in 0..<2 {
            wallClock += 5
            let clock = wallClock
            do {
                let (snapshot, stats) = try collector.poll(fixed: fixed, discovered: discovered, via: redis, version: version,
                                                          wallClock: { clock })
                status.redisUp = true
                status.lastCommands = stats.commands
                render(snapshot, status, config, now: clock)
            } catch {
                status.redisUp = false
                status.lastError = "\(error)"
                render(nil, status, config, now: clock)
            }
        }
    }

    static let build = BuildInfo(version: "fuzz", swiftVersion: "6", hiredisVersion: "0.14.1", microhttpdVersion: "0.9.75")

    static func render(_ snapshot: Snapshot?, _ status: ExporterStatus, _ config: ExporterConfig, now: Double) {
        for format in ExpositionFormat.allCases {
            _ = MetricsRenderer.renderBytes(snapshot: snapshot, status: status, build: build, process: nil, format: format)
        }
        _ = HealthReport(snapshot: snapshot, status: status, thresholds: config.thresholds, freshness: config.freshness, now: now)
        _ = CheckReport(snapshot: snapshot, status: status)
        _ = CheckReport.json(snapshot: snapshot, status: status)
        if let snapshot {
            _ = JSONRenderer.consumerLagBytes(snapshot, redisConnected: status.redisUp, stale: false)
            _ = JSONRenderer.streamsBytes(snapshot, redisConnected: status.redisUp, stale: true)
        }
    }
}
