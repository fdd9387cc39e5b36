import RedisProtocol
import Testing
@testable import LagCore

@Suite("Status rules and defaults")
struct StatusTests {
    @Test("the seed's table: exactly 100 healthy, exactly 1000 degraded", arguments: [
        (0, false, Status.healthy), (1, false, .healthy), (100, false, .healthy), (101, false, .degraded),
        (999, false, .degraded), (1000, false, .degraded), (1001, false, .unhealthy), (1_000_000, false, .unhealthy),
        (1, true, .unhealthy), (50, true, .unhealthy), (500, true, .unhealthy),
    ])
    func defaults(lag: Int, stalled: Bool, expected: Status) {
        #expect(Status.of(lag: lag, stalled: stalled, thresholds: Thresholds()) == expected)
    }

    @Test("custom thresholds", arguments: [
        (10, Status.healthy), (11, .degraded), (20, .degraded), (21, .unhealthy),
    ])
    func custom(lag: Int, expected: Status) {
        #expect(Status.of(lag: lag, stalled: false, thresholds: Thresholds(degraded: 10, unhealthy: 20)) == expected)
    }

    @Test("order and names")
    func orderAndNames() {
        #expect([Status.unhealthy, .healthy, .degraded].sorted() == [.healthy, .degraded, .unhealthy])
        #expect([Status.healthy, .degraded, .unhealthy].map(\.description) == ["healthy", "degraded", "unhealthy"])
        #expect([Status.healthy, .degraded, .unhealthy].map(\.rawValue) == [0, 1, 2])
        #expect(Thresholds() == Thresholds(degraded: 100, unhealthy: 1000))
    }

    @Test("ExporterConfig defaults are the SPEC's flag defaults")
    func configDefaults() throws {
        let c = ExporterConfig()
        #expect(c.redis == RedisEndpoint(address: .tcp(host: "localhost", port: 6380), database: 0))
        #expect(c.redisTimeout == 2)
        #expect(c.streams == [b("events:chat"), b("events:ticket"), b("events:remote")])
        #expect(c.streamPatterns == [])
        #expect(c.discoveryInterval == 60)
        #expect(c.maxStreams == 100_000)
        #expect(c.groups == [b("signalr-consumers")])
        #expect(c.pollInterval == 5)
        #expect(c.thresholds == Thresholds(degraded: 100, unhealthy: 1000))
        #expect(c.lagCountLimit == 10_000)
        #expect(c.stallAfter == 300)
        #expect(c.maxConsumersPerGroup == 100)
        #expect(c.listenAddresses == [ListenAddress(host: "127.0.0.1", port: 9840)])
        #expect(c.telemetryPath == "/metrics")
        #expect(c.freshness.staleAfter == 15)
        #expect(c.redis == (try RedisURL.parse(Defaults.redisURL)), "the default endpoint is the default URL")
    }
}

/// Where Redis' own lag is used (docs/figures.md, "Lag where Redis cannot tell").
@Suite("Lag trust")
struct LagTrustTests {
    @Test("versions and histories", arguments: [
        // (redis lag, length, entries-added, version, trusted)
        (4, 10, 10, ServerVersion(8, 2, 3), true),
        (4, 10, 14, ServerVersion(8, 2, 0), true),  // deletions: 8.2 computes them right
        (4, 10, 10, ServerVersion(8, 1, 9), true),  // nothing ever deleted or trimmed
        (4, 10, 14, ServerVersion(8, 1, 9), false),
        (4, 10, 10, ServerVersion(7, 4, 0), true),
        (4, 10, 11, ServerVersion(7, 4, 1), false),
        (4, 10, 10, ServerVersion(7, 2, 6), false),  // replicas and AOF reloads before 7.4
        (4, 10, 10, ServerVersion(7, 0, 15), false),
        (4, 10, nil, ServerVersion(8, 2, 3), true),
        (4, 10, nil, ServerVersion(8, 0, 0), false),
        (0, 10, 10, ServerVersion(8, 2, 3), false),  // inside the stream at least the last entry is undelivered
        (10, 10, 10, ServerVersion(8, 2, 3), false),  // and at least the first is delivered
        (9, 10, 10, ServerVersion(8, 2, 3), true),
        (11, 10, 10, ServerVersion(8, 2, 3), false),
        (4, 10, 10, nil, false),
    ] as [(Int, Int, Int?, ServerVersion?, Bool)])
    func trust(lag: Int, length: Int, added: Int?, version: ServerVersion?, trusted: Bool) {
        #expect(LagTrust.trusts(redisLag: lag, length: length, entriesAdded: added, version: version) == trusted)
    }

    @Test("redis_version from INFO", arguments: [
        ("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n", ServerVersion(7, 0, 15)),
        ("redis_version:8.2.3\n", ServerVersion(8, 2, 3)),
        ("redis_version:255.255.255\r\n", ServerVersion(255, 255, 255)),
        ("redis_version:7.2\r\n", ServerVersion(7, 2, 0)),
        ("redis_version:7.4.1-rc1\r\n", ServerVersion(7, 4, 1)),
    ])
    func version(info: String, expected: ServerVersion) {
        #expect(ServerVersion(info: info) == expected)
    }

    @Test("no version in INFO", arguments: ["", "redis_version:\r\n", "redis_version:x.y\r\n", "# Server\r\n"])
    func noVersion(info: String) {
        #expect(ServerVersion(info: info) == nil)
    }
}
