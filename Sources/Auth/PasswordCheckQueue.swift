import Dispatch
import Synchronization

/// Password checks (bcrypt) one at a time on a serial queue of their own, with a bound on how
/// many may be waiting or running. bcrypt never runs on the threads that serve everyone, and
/// one check at a time leaves the other core for serving; when `limit` checks are already
/// taken, `reserve()` says no and the caller answers 429 at once instead of queueing more work
/// than the queue can get through.
public final class PasswordCheckQueue: Sendable {
    /// A place taken in the queue; give it work with `run`, once. A place never used is given
    /// back when the slot goes away.
    public final class Slot: Sendable {
        private let owner: PasswordCheckQueue
        private let used = Atomic<Bool>(false)

        fileprivate init(owner: PasswordCheckQueue) { self.owner = owner }

        /// Runs `work` on the queue; the place is given back when it returns.
        public func run(_ work: @escaping @Sendable () -> Void) {
            guard !used.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let owner = self.owner
            owner.queue.async {
                work()
                owner.release()
            }
        }

        deinit {
            if !used.load(ordering: .acquiring) { owner.release() }
        }
    }

    /// How many checks may be taken (waiting or running) at once.
    public let limit: Int
    private let queue = DispatchQueue(label: "password-check")
    private let count = Mutex(0)

    public init(limit: Int = 8) {
        self.limit = max(limit, 1)
    }

    /// A place for one check, or nil when `limit` are already taken.
    public func reserve() -> Slot? {
        let taken = count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        return taken ? Slot(owner: self) : nil
    }

    /// Checks taken (waiting or running) right now.
    public var taken: Int { count.withLock { $0 } }

    private func release() {
        count.withLock { $0 -= 1 }
    }
}
