import Dispatch
import HTTPServer
import Synchronization

/// Prepared responses of one publication, each variant made at most once and then shared by
/// every request. The first request for a variant not made yet renders it; requests for the
/// same variant that arrive meanwhile wait for that one rendering (single flight), and
/// requests for other variants are not held up.
final class PreparedVariants<Key: Hashable & Sendable>: Sendable {
    private enum Slot {
        case ready(PreparedResponse)
        case rendering(DispatchGroup)
    }
    private let slots = Mutex<[Key: Slot]>([:])

    func response(_ key: Key, make: () -> PreparedResponse) -> PreparedResponse {
        let (slot, mine): (Slot?, DispatchGroup?) = slots.withLock { slots in
            if let slot = slots[key] { return (slot, nil) }
            let group = DispatchGroup()
            group.enter()
            slots[key] = .rendering(group)
            return (nil, group)
        }
        if let mine {
            let rendered = make()
            slots.withLock { $0[key] = .ready(rendered) }
            mine.leave()
            return rendered
        }
        switch slot {
        case .ready(let response): return response
        case .rendering(let group):
            group.wait()
            if case .ready(let response) = slots.withLock({ $0[key] }) { return response }
            return make()  // unreachable: a slot leaves `rendering` only for `ready`
        case nil: return make()
        }
    }
}

/// Which bodies clients asked for lately, so that a publication renders those at once (on the
/// poller thread, before it is served) and leaves the others to the first request that wants
/// one: no CPU or memory for bodies nobody reads, and no wait for the ones in use.
final class BodyDemand: Sendable {
    enum Body: Hashable, Sendable {
        case metrics(MetricsBodies.Variant)
        case json(JSONBodies.Endpoint, stale: Bool)
    }
    /// A body asked for within this many seconds is made at publish time.
    let window: Double
    private let lastAsked = Mutex<[Body: Double]>([:])

    init(window: Double) { self.window = window }

    func asked(_ body: Body, at now: Double) {
        lastAsked.withLock { $0[body] = now }
    }

    /// The bodies asked for within the window; before any request, gzip'ed OpenMetrics with
    /// current data, which Prometheus asks for.
    func wanted(at now: Double) -> Set<Body> {
        lastAsked.withLock { asked in
            if asked.isEmpty { return [.metrics(.init(format: .openMetrics, gzip: true, current: true))] }
            return Set(asked.filter { now - $0.value <= window }.keys)
        }
    }
}
