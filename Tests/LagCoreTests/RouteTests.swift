import Testing
@testable import LagCore

@Suite("Route.resolve")
struct RouteTests {
    @Test("every path, GET and HEAD", arguments: [
        ("/metrics", Route.metrics), ("/api/v1/events/consumer-lag", .consumerLag),
        ("/api/v1/events/streams", .streams), ("/api/v1/events/health", .health),
        ("/-/healthy", .liveness), ("/-/ready", .readiness), ("/", .index),
    ])
    func paths(path: String, route: Route) {
        #expect(Route.resolve(method: "GET", path: path, telemetryPath: "/metrics") == route)
        #expect(Route.resolve(method: "HEAD", path: path, telemetryPath: "/metrics") == route)
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"] {
            #expect(Route.resolve(method: method, path: path, telemetryPath: "/metrics") == .methodNotAllowed, "\(method)")
        }
    }

    @Test("unknown paths are 404 whatever the method", arguments: [
        "/metrics/", "/api/v1/events", "/api/v1/events/consumer-lag/", "/favicon.ico", "", "/METRICS", "/-/",
    ])
    func unknown(path: String) {
        #expect(Route.resolve(method: "GET", path: path, telemetryPath: "/metrics") == .notFound)
        #expect(Route.resolve(method: "HEAD", path: path, telemetryPath: "/metrics") == .notFound)
        #expect(Route.resolve(method: "POST", path: path, telemetryPath: "/metrics") == .notFound)
    }

    @Test("a custom telemetry path replaces /metrics")
    func customTelemetryPath() {
        #expect(Route.resolve(method: "GET", path: "/internal/prom", telemetryPath: "/internal/prom") == .metrics)
        #expect(Route.resolve(method: "POST", path: "/internal/prom", telemetryPath: "/internal/prom") == .methodNotAllowed)
        #expect(Route.resolve(method: "GET", path: "/metrics", telemetryPath: "/internal/prom") == .notFound)
        #expect(Route.resolve(method: "GET", path: "/-/ready", telemetryPath: "/internal/prom") == .readiness)
    }

    @Test("which routes need credentials")
    func protected() {
        let all: [Route] = [.metrics, .consumerLag, .streams, .health, .liveness, .readiness, .index, .notFound, .methodNotAllowed]
        #expect(all.filter(\.isProtected) == [.metrics, .consumerLag, .streams, .health])
        #expect(Route.allow == "GET, HEAD")
    }
}
