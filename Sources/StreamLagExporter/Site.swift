import Auth
import Foundation
import HTTPServer
import LagCore
import Synchronization

/// The JSON bodies of one snapshot, `stale` false and true: those asked for lately made at
/// publish time, the others when first asked for.
final class JSONBodies: Sendable {
    enum Endpoint: Hashable, Sendable { case consumerLag, streams }
    private struct Key: Hashable {
        var endpoint: Endpoint
        var stale: Bool
    }

    private let snapshot: Snapshot
    private let redisConnected: Bool
    private let variants = PreparedVariants<Key>()

    init(snapshot: Snapshot, redisConnected: Bool, prerender: [(Endpoint, stale: Bool)]) {
        self.snapshot = snapshot
        self.redisConnected = redisConnected
        for (endpoint, stale) in prerender { _ = response(endpoint, stale: stale || !redisConnected) }
    }

    func response(_ endpoint: Endpoint, stale: Bool) -> PreparedResponse {
        variants.response(Key(endpoint: endpoint, stale: stale)) {
            // Written straight into the response's memory, chunk by chunk (50 MB at 100k streams).
            let builder = ResponseBodyBuilder()
            switch endpoint {
            case .consumerLag: JSONRenderer.consumerLag(snapshot, redisConnected: redisConnected, stale: stale, into: builder.append)
            case .streams: JSONRenderer.streams(snapshot, redisConnected: redisConnected, stale: stale, into: builder.append)
            }
            return builder.finish(headers: [("Content-Type", JSONRenderer.contentType)])
        }
    }
}

/// What the handlers serve, made once per poll: bodies are rendered and wrapped in prepared
/// libmicrohttpd responses here, never per request.
private final class Published: Sendable {
    let snapshot: Snapshot?
    let status: ExporterStatus
    let metrics: MetricsBodies
    let json: JSONBodies?
    /// What the snapshot says about health, worked out once (the clock's part is per request).
    let healthFindings: HealthFindings?

    init(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo, previous: Published?,
         thresholds: Thresholds, wanted: Set<BodyDemand.Body> = []) {
        self.snapshot = snapshot
        self.status = status
        healthFindings = snapshot.map { HealthFindings(snapshot: $0, thresholds: thresholds) }
        var variants: [MetricsBodies.Variant] = []
        var endpoints: [(JSONBodies.Endpoint, stale: Bool)] = []
        for body in wanted {
            switch body {
            case .metrics(let variant): variants.append(variant)
            case .json(let endpoint, let stale): endpoints.append((endpoint, stale))
            }
        }
        metrics = MetricsBodies(current: status.redisUp ? snapshot : nil, status: status, build: build, prerender: variants,
                                sizedLike: previous?.metrics.tableSizes)
        if let previous, previous.status.redisUp == status.redisUp,
           previous.snapshot?.collectedAt == snapshot?.collectedAt {
            // While Redis is down every retry republishes the same snapshot: its JSON is unchanged.
            json = previous.json
        } else {
            json = snapshot.map { JSONBodies(snapshot: $0, redisConnected: status.redisUp, prerender: endpoints) }
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

    /// The 401 for a refusal.
    func refusal(_ decision: AuthDecision) -> HTTPReply {
        HTTPReply(status: 401, response: decision == .missing ? missing : invalid)
    }
}

/// The HTTP surface: checks credentials on the protected paths, then routes each request to a
/// prepared response. Never touches Redis.
final class Site: HTTPHandler {
    private let config: ExporterConfig
    private let build: BuildInfo
    private let current: Mutex<Published>
    /// Which bodies were asked for lately: those are rendered at publish time.
    private let demand: BodyDemand
    private let gate: Mutex<Gate>
    private let index: PreparedResponse
    private let notFound: PreparedResponse
    private let methodNotAllowed: PreparedResponse
    private let noData: PreparedResponse
    private let alive: PreparedResponse
    private let ready: PreparedResponse
    private let notReady: PreparedResponse
    /// bcrypt runs here, never on libmicrohttpd's threads: one check at a time (the other core stays
    /// free for serving), at most 8 checks waiting or running; beyond that, 429.
    private let passwordChecks = PasswordCheckQueue(limit: 8)
    private let tooManyAttempts: PreparedResponse

    init(config: ExporterConfig, build: BuildInfo, credentials: Credentials) {
        self.config = config
        self.build = build
        gate = Mutex(Gate(credentials))
        current = Mutex(Published(snapshot: nil, status: ExporterStatus(), build: build, previous: nil,
                                  thresholds: config.thresholds))
        demand = BodyDemand(window: max(60, 3 * config.pollInterval))
        index = PreparedResponse(text: IndexPage.html(version: build.version, telemetryPath: config.telemetryPath, pollInterval: config.pollInterval),
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
        tooManyAttempts = PreparedResponse(
            text: JSONRenderer.error("too many authentication attempts; retry later"), contentType: JSONRenderer.contentType,
            headers: [("Retry-After", "1")])
    }

    /// Called by the poller after every poll attempt.
    func publish(snapshot: Snapshot?, status: ExporterStatus) {
        let previous = current.withLock { $0 }
        let next = Published(snapshot: snapshot, status: status, build: build, previous: previous,
                             thresholds: config.thresholds, wanted: demand.wanted(at: Date().timeIntervalSince1970))
        current.withLock { $0 = next }
    }

    /// The credentials in force.
    var credentials: Credentials { gate.withLock { $0 }.credentials }

    /// Puts new credentials in force (SIGHUP); requests already past the gate are unaffected.
    func replace(credentials: Credentials) {
        let next = Gate(credentials)
        gate.withLock { $0 = next }
    }

    /// Checks credentials on the protected paths, then serves. A basic-auth password that needs
    /// bcrypt is checked on `passwordChecks` while the connection waits suspended (or gets 429
    /// when that queue is full); everything else is answered at once.
    func respond(to request: HTTPRequest) -> HTTPAnswer {
        let route = Route.resolve(method: request.method, path: request.path, telemetryPath: config.telemetryPath)
        guard route.isProtected else { return .now(serve(route, request)) }
        let gate = gate.withLock { $0 }
        switch gate.credentials.check(authorization: request.header("Authorization"), client: request.clientAddress,
                                      clientCertificateVerified: request.clientCertificate == .verified) {
        case .decided(.allowed):
            return .now(serve(route, request))
        case .decided(let refusal):
            return .now(gate.refusal(refusal))
        case .needsPasswordCheck(let check):
            guard let slot = passwordChecks.reserve() else { return .now(HTTPReply(status: 429, response: tooManyAttempts)) }
            return .later(DeferredReply(
                start: { done in slot.run { done(check.run()) } },
                then: { [self] decision, request in decision == .allowed ? serve(route, request) : gate.refusal(decision) }))
        }
    }

    /// The answer of a route whose credentials, if any, were accepted.
    private func serve(_ route: Route, _ request: HTTPRequest) -> HTTPReply {
        let published = current.withLock { $0 }
        // The one freshness rule: lag figures in /metrics, and `stale` in JSON.
        let freshness = config.freshness(lastCycle: published.status.lastCycleSeconds)
        let now = Date().timeIntervalSince1970
        let fresh = freshness.isFresh(published.snapshot, redisUp: published.status.redisUp, now: now)
        switch route {
        case .metrics:
            let variant = MetricsBodies.Variant(
                format: ExpositionFormat.negotiate(accept: request.header("Accept")),
                gzip: HeaderList.allowsGzip(request.header("Accept-Encoding")),
                current: fresh)
            demand.asked(.metrics(variant), at: now)
            return HTTPReply(status: 200, response: published.metrics.response(variant))
        case .consumerLag, .streams:
            let endpoint: JSONBodies.Endpoint = route == .consumerLag ? .consumerLag : .streams
            demand.asked(.json(endpoint, stale: !fresh), at: now)
            return published.json.map { HTTPReply(status: 200, response: $0.response(endpoint, stale: !fresh)) }
                ?? HTTPReply(status: 503, response: noData)
        case .health:
            // Rendered per request: its age and staleness depend on the clock, and it is small.
            let report = HealthReport(snapshot: published.snapshot, status: published.status,
                                      thresholds: config.thresholds, freshness: freshness,
                                      now: now, findings: published.healthFindings)
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
