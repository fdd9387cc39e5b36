// Why TSan builds swap Synchronization.Mutex for a pthread mutex (Sources/SanitizerMutex).
// Four threads add 1 to a plain Int 200,000 times each, only inside Mutex.withLock. The total
// is always 800000, yet TSan reports a race on the Int: a contended Mutex is handed over in the
// kernel (FUTEX_LOCK_PI/FUTEX_UNLOCK_PI in the uninstrumented stdlib) and TSan never sees that
// acquire/release. With `-D PTHREAD` the same program over NSLock (pthread_mutex, intercepted by
// TSan) is reported clean. Checked with Swift 6.3.1 on Debian 12:
//   swiftc -sanitize=thread mutex-false-positive.swift -o /tmp/m && /tmp/m             # 1 race
//   swiftc -sanitize=thread -D PTHREAD mutex-false-positive.swift -o /tmp/p && /tmp/p  # clean
import Foundation
import Synchronization

final class Counter: @unchecked Sendable { var n = 0 }
let counter = Counter()
#if PTHREAD
let lock = NSLock()
func locked(_ body: () -> Void) { lock.withLock(body) }
#else
let lock = Mutex<Void>(())
func locked(_ body: () -> Void) { lock.withLock { _ in body() } }
#endif
let threads = (0..<4).map { _ in Thread { for _ in 0..<200_000 { locked { counter.n += 1 } } } }
threads.forEach { $0.start() }
while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
locked { print("n =", counter.n) }
