#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `Synchronization.Mutex`'s interface over a `pthread_mutex_t`, for ThreadSanitizer builds only
/// (scripts/sanitize.sh compiles with `-DSTREAM_LAG_TSAN`, and each module that locks then
/// aliases `Mutex` to this type).
///
/// Why: on Linux, a contended `Synchronization.Mutex` is handed to the waiter inside the kernel
/// (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI in the uninstrumented stdlib), so TSan never sees the
/// release/acquire pair and reports every access the lock protects as a race. Four threads
/// incrementing one Int only inside `withLock` reach the right total and are still reported;
/// the same program over `pthread_mutex_t`, which TSan intercepts, is reported clean. Swapping
/// the lock keeps TSan's view of OUR code exact instead of suppressing reports wholesale.
public final class PThreadMutex<Value>: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initialValue: Value) {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return try body(&value)
    }
}
