import Auth
import Foundation
import HTTPServer
import LagCore
import Synchronization

/// What the handlers serve, made once per poll: bodies are rendered and wrapped in prepared
/// libmicrohttpd responses here, never per request.
private final class Published: Sendable {
    let snapshot: Snapshot?
    let status: ExporterStatus
    let metrics: MetricsBodies
    let consumerLag: PreparedResponse?
    let streams: PreparedResponse?

    init(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo, previous: Published?) {
        self.snapshot = snapshot
        self.status = status
        metrics = MetricsBodies(current: status.redisUp ? snapshot : nil, status: status, build: build)
        if let previous, previous.status.redisUp == status.redisUp,
           previous.snapshot?.collectedAt == snapshot?.collectedAt {
            // While Redis is down every retry republishes the same snapshot: its JSON is unchanged.
            consumerLag = previous.consumerLag
            streams = previous.streams
        } else if let snapshot {
            let stale = !status.redisUp
            consumerLag = PreparedResponse(
                text: JSONRenderer.consumerLag(snapshot, redisConnected: status.redisUp, stale: stale),
                contentType: JSONRenderer.contentType)
            streams = PreparedResponse(
                text: JSONRenderer.streams(snapshot, redisConnected: status.redisUp, stale: stale),
                contentType: JSONRenderer.contentType)
        } else {
            consumerLag = nil
            streams = nil
        }
    }
}

/// The credentials in force and their prepared 401 answers; replaced whole on SIGHUP.
private final class Gate: Sendable {
    let credentials: Credentials
    /// No credentials given: `WWW-Authenticate` with the realm only.
    let missing: PreparedResponse
    /// Credentials given but refused: the same, plus `error="invalid_token"`. The body never
    /// says which check failed.
    let invalid: PreparedResponse

    init(_ credentials: Credentials) {
        self.credentials = credentials
        let realm = "realm=\"stream-lag-exporter\""
        let basic: [(name: String, value: String)] = credentials.hasBasicAuth ? [("WWW-Authenticate", "Basic \(realm)")] : []
        let body = JSONRenderer.error("unauthorized")
        missing = PreparedResponse(text: body, contentType: JSONRenderer.contentType,
                                   headers: [("WWW-Authenticate", "Bearer \(realm)")] + basic)
        invalid = PreparedResponse(text: body, contentType: JSONRenderer.contentType,
                                   headers: [("WWW-Authenticate", "Bearer \(realm), error=\"invalid_token\"")] + basic)
    }
}

/// The HTTP surface: checks credentials on the protected paths, then routes each request to a
/// prepared response. Never touches Redis.
final class Site: HTTPHandler {
    private let config: ExporterConfig
    private let build: BuildInfo
    private let current: Mutex<Published>
    private let gate: Mutex<Gate>
    private let index: PreparedResponse
    private let notFound: PreparedResponse
    private let methodNotAllowed: PreparedResponse
    private let noData: PreparedResponse
    private let alive: PreparedResponse
    private let ready: PreparedResponse
    private let notReady: PreparedResponse

    init(config: ExporterConfig, build: BuildInfo, credentials: Credentials) {
        self.config = config
        self.build = build
        gate = Mutex(Gate(credentials))
        current = Mutex(Published(snapshot: nil, status: ExporterStatus(), build: build, previous: nil))
        index = PreparedResponse(text: IndexPage.html(version: build.version, telemetryPath: config.telemetryPath),
                                 contentType: "text/html; charset=utf-8")
        notFound = PreparedResponse(text: JSONRenderer.error("not found"), contentType: JSONRenderer.contentType)
        methodNotAllowed = PreparedResponse(
            text: JSONRenderer.error("method not allowed"), contentType: JSONRenderer.contentType,
            headers: [("Allow", Route.allow)])
        noData = PreparedResponse(text: JSONRenderer.error("no successful poll of redis yet"),
                                  contentType: JSONRenderer.contentType)
        alive = PreparedResponse(text: "OK\n", contentType: "text/plain; charset=utf-8")
        ready = PreparedResponse(text: "Ready\n", contentType: "text/plain; charset=utf-8")
        notReady = PreparedResponse(text: "Not ready: first poll has not finished\n", contentType: "text/plain; charset=utf-8")
    }

    /// Called by the poller after every poll attempt.
    func publish(snapshot: Snapshot?, status: ExporterStatus) {
        let previous = current.withLock { $0 }
        let next = Published(snapshot: snapshot, status: status, build: build, previous: previous)
        current.withLock { $0 = next }
    }

    /// The credentials in force.
    var credentials: Credentials { gate.withLock { $0 }.credentials }

    /// Puts new credentials in force (SIGHUP); requests already past the gate are unaffected.
    func replace(credentials: Credentials) {
        let next = Gate(credentials)
        gate.withLock { $0 = next }
    }

    func respond(to request: HTTPRequest) -> HTTPReply {
        let route = Route.resolve(method: request.method, path: request.path, telemetryPath: config.telemetryPath)
        if route.isProtected {
            let gate = gate.withLock { $0 }
            let decision: AuthDecision
            switch gate.credentials.check(authorization: request.header("Authorization"),
                                          client: request.clientAddress,
                                          clientCertificateVerified: request.clientCertificate == .verified) {
            case .decided(let decided): decision = decided
            case .needsPasswordCheck(let check): decision = check.run()
            }
            switch decision {
            case .allowed: break
            case .missing: return HTTPReply(status: 401, response: gate.missing)
            case .invalid: return HTTPReply(status: 401, response: gate.invalid)
            }
        }
        let published = current.withLock { $0 }
        switch route {
        case .metrics:
            // Lag figures only while the snapshot is fresh: no frozen values after 3 intervals.
            let fresh = published.snapshot.map { Date().timeIntervalSince1970 - $0.collectedAt <= config.staleAfter } ?? false
            let variant = MetricsBodies.Variant(
                format: ExpositionFormat.negotiate(accept: request.header("Accept")),
                gzip: HeaderList.allowsGzip(request.header("Accept-Encoding")),
                current: fresh && published.metrics.hasCurrent)
            return HTTPReply(status: 200, response: published.metrics.response(variant))
        case .consumerLag:
            return published.consumerLag.map { HTTPReply(status: 200, response: $0) } ?? HTTPReply(status: 503, response: noData)
        case .streams:
            return published.streams.map { HTTPReply(status: 200, response: $0) } ?? HTTPReply(status: 503, response: noData)
        case .health:
            // Rendered per request: its age and staleness depend on the clock, and it is small.
            let report = HealthReport(snapshot: published.snapshot, status: published.status,
                                      thresholds: config.thresholds, staleAfter: config.staleAfter,
                                      now: Date().timeIntervalSince1970)
            return HTTPReply(status: report.httpStatus,
                             response: PreparedResponse(text: report.json, contentType: JSONRenderer.contentType))
        case .liveness:
            return HTTPReply(status: 200, response: alive)
        case .readiness:
            return published.status.firstPollDone ? HTTPReply(status: 200, response: ready) : HTTPReply(status: 503, response: notReady)
        case .index:
            return HTTPReply(status: 200, response: index)
        case .notFound:
            return HTTPReply(status: 404, response: notFound)
        case .methodNotAllowed:
            return HTTPReply(status: 405, response: methodNotAllowed)
        }
    }
}
