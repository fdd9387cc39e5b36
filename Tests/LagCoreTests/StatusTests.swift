import RedisClient
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
    func configDefaults() {
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
        #expect(c.staleAfter == 15)
    }
}
