import Dispatch
import Foundation
import Synchronization

/// Runs one async operation to completion for a synchronous caller, on a thread of its own.
///
/// jwt-kit builds keys only through its `JWTKeyCollection` actor, but `Credentials.load` is
/// synchronous (startup, SIGHUP, tests). The obvious bridge, a `Task` plus a semaphore wait, is
/// only safe when the waiting thread is not one of Swift's cooperative pool threads; when it is
/// (an async caller, or Swift Testing running tests in parallel) the waiters can occupy the whole
/// pool and the Task never runs. On this 2-core machine two such callers deadlocked (measured
/// with a 5 s timeout). Here the Task runs with this executor as its preference, and SE-0417 makes
/// default actors such as `JWTKeyCollection` run on the preferred executor too, so every job runs
/// on the private thread and none needs the pool: whoever calls, it cannot deadlock.
///
/// Requests never come here: `authorize` calls jwt-kit's synchronous verifiers directly.
final class BlockingAsync: TaskExecutor, Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let finished = Atomic<Bool>(false)
    /// Signalled once per enqueued job and once at the end, so the thread sleeps while idle.
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {}

    static func run<Value: Sendable>(_ operation: @escaping @Sendable () async -> Value) -> Value {
        let executor = BlockingAsync()
        let result = Mutex<Value?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: executor) {
            let value = await operation()
            result.withLock { $0 = value }
            executor.finish()
        }
        let thread = Thread {
            executor.runJobs()
            done.signal()
        }
        thread.name = "auth-key-loader"
        thread.start()
        done.wait()
        // runJobs only returns after finish(), which follows the assignment.
        return result.withLock { $0! }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        wakeUp.signal()
    }

    private func finish() {
        finished.store(true, ordering: .releasing)
        wakeUp.signal()
    }

    /// Runs jobs until the operation has finished and nothing is left. Jobs run one at a time on
    /// this thread, so the operation sees a serial executor.
    private func runJobs() {
        while true {
            wakeUp.wait()
            let next = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let next {
                next.runSynchronously(on: asUnownedTaskExecutor())
            } else if finished.load(ordering: .acquiring) {
                return
            }
        }
    }
}
