internal import Crypto
import Synchronization

/// Remembers recent successful basic-auth checks, so that a scraper sending the same correct
/// password every 15 s costs one bcrypt run (about 45-180 ms of CPU), not one a scrape. Only
/// SHA-256 digests of user, password and hash are kept, never the password (failures are
/// remembered apart, per client: `BasicAuthFailures`). Lives inside one `Credentials`, so a
/// SIGHUP reload starts it empty.
final class BasicAuthCache: Sendable {
    private let remembered = Mutex<Set<[UInt8]>>([])
    /// Bounded: when full it is emptied and refills from the next successes.
    static let capacity = 64

    private static func key(user: String, password: String, hash: String) -> [UInt8] {
        var hasher = SHA256()
        for part in [user, password, hash] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        return Array(hasher.finalize())
    }

    func contains(user: String, password: String, hash: String) -> Bool {
        let key = Self.key(user: user, password: password, hash: hash)
        return remembered.withLock { $0.contains(key) }
    }

    func remember(user: String, password: String, hash: String) {
        let key = Self.key(user: user, password: password, hash: hash)
        remembered.withLock { set in
            if set.count >= Self.capacity { set.removeAll() }
            set.insert(key)
        }
    }
}
