import Dispatch
import Foundation
import Synchronization

/// A few threads of its own for password checks (bcrypt), with a bound on how many checks may
/// be waiting or running at once. bcrypt never runs on the threads that serve everyone; when
/// `limit` checks are already taken, `reserve()` says no and the caller answers 429 at once
/// instead of queueing more work than the threads can get through.
public final class PasswordCheckQueue: Sendable {
    /// A place taken in the queue; give it work with `run`, once. A place never used is given
    /// back when the slot goes away.
    public final class Slot: Sendable {
        private let core: Core
        private let used = Atomic<Bool>(false)

        fileprivate init(core: Core) { self.core = core }

        /// Runs `work` on one of the queue's threads; the place is given back when it returns.
        public func run(_ work: @escaping @Sendable () -> Void) {
            guard !used.exchange(true, ordering: .acquiringAndReleasing) else { return }
            core.enqueue(work)
        }

        deinit {
            if !used.load(ordering: .acquiring) { core.release() }
        }
    }

    public let threads: Int
    public let limit: Int
    private let core: Core

    /// - Parameters:
    ///   - threads: how many checks run at once (each takes one core while it runs).
    ///   - limit: how many checks may be taken (waiting or running) at once.
    public init(threads: Int = 1, limit: Int = 8) {
        self.threads = max(threads, 1)
        self.limit = max(limit, self.threads)
        core = Core(limit: self.limit)
        for index in 0..<self.threads {
            let core = self.core
            let thread = Thread { core.work() }
            thread.name = "password-check-\(index)"
            thread.start()
        }
    }

    /// A place for one check, or nil when `limit` are already taken.
    public func reserve() -> Slot? {
        core.take() ? Slot(core: core) : nil
    }

    /// Checks taken (waiting or running) right now.
    public var taken: Int { core.taken }

    deinit { core.stop(threads: threads) }
}

/// The state the threads share; they hold it, not the queue, so that the queue can go away.
private final class Core: Sendable {
    private struct State {
        var taken = 0
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
    }

    let limit: Int
    private let state = Mutex(State())
    /// Signalled once per job and once per thread at stop.
    private let wake = DispatchSemaphore(value: 0)

    init(limit: Int) { self.limit = limit }

    var taken: Int { state.withLock { $0.taken } }

    func take() -> Bool {
        state.withLock { state in
            guard !state.stopping, state.taken < limit else { return false }
            state.taken += 1
            return true
        }
    }

    func release() {
        state.withLock { $0.taken -= 1 }
    }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        state.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    func stop(threads: Int) {
        state.withLock { $0.stopping = true }
        for _ in 0..<threads { wake.signal() }
    }

    private enum Next {
        case job(@Sendable () -> Void)
        case stop
        case nothing
    }

    /// A thread's loop: run jobs in order until stopped and nothing is left.
    func work() {
        while true {
            wake.wait()
            let next: Next = state.withLock { state in
                if !state.jobs.isEmpty { return .job(state.jobs.removeFirst()) }
                return state.stopping ? .stop : .nothing
            }
            switch next {
            case .job(let job):
                job()
                release()
            case .stop:
                return
            case .nothing:
                continue
            }
        }
    }
}
