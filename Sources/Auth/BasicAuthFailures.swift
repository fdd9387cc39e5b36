internal import Crypto
import Synchronization

/// Remembers recent failed basic-auth checks, so that the same wrong password from the same
/// client is answered 401 at once instead of costing another bcrypt run: a scraper with a stale
/// password, or a client retrying in a loop, costs one run a `lifetime`, not one a request.
/// Keys are SHA-256 digests of user, password, client address and hash; the password itself is
/// never kept. Bounded in size (`capacity`; when full, expired entries go first, then the
/// oldest) and in time (`lifetime`). Lives inside one `Credentials`, so a reload starts it empty.
final class BasicAuthFailures: Sendable {
    let capacity: Int
    let lifetime: Duration
    /// Digest to the instant it is forgotten.
    private let remembered = Mutex<[[UInt8]: ContinuousClock.Instant]>([:])

    init(capacity: Int = 1024, lifetime: Duration = .seconds(60)) {
        self.capacity = max(capacity, 1)
        self.lifetime = lifetime
    }

    static func key(user: String, password: String, client: String, hash: String) -> [UInt8] {
        var hasher = SHA256()
        for part in [user, password, client, hash] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        return Array(hasher.finalize())
    }

    func contains(_ key: [UInt8], now: ContinuousClock.Instant = .now) -> Bool {
        remembered.withLock { entries in
            guard let expiry = entries[key] else { return false }
            if expiry > now { return true }
            entries[key] = nil
            return false
        }
    }

    func remember(_ key: [UInt8], now: ContinuousClock.Instant = .now) {
        remembered.withLock { entries in
            if entries[key] == nil && entries.count >= capacity {
                entries = entries.filter { $0.value > now }
                // Still full: forget the oldest. O(capacity), and entries only arrive as fast as
                // the verifier finishes bcrypt runs.
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value < $1.value })?.key {
                    entries[oldest] = nil
                }
            }
            entries[key] = now + lifetime
        }
    }

    var count: Int { remembered.withLock { $0.count } }
}
