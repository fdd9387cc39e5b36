import HTTPServer
import Synchronization

/// Prepared responses of one publication, each variant made at most once and then shared by
/// every request. A variant not made yet is rendered outside the lock, so that one slow first
/// request never stalls the requests for other variants; two first requests for the same
/// variant may both render it, and the first stored is kept.
final class PreparedVariants<Key: Hashable & Sendable>: Sendable {
    private let made = Mutex<[Key: PreparedResponse]>([:])

    func response(_ key: Key, make: () -> PreparedResponse) -> PreparedResponse {
        if let ready = made.withLock({ $0[key] }) { return ready }
        let rendered = make()
        return made.withLock { made in
            if let ready = made[key] { return ready }
            made[key] = rendered
            return rendered
        }
    }
}
