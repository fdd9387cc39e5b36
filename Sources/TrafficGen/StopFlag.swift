import Dispatch
import Foundation
import Synchronization

/// SIGINT/SIGTERM become a flag that the tick loop polls. The loop blocks in hiredis, so it
/// cannot await a signal, and a C signal handler may not touch Swift state; a dispatch source
/// runs an ordinary closure on a queue instead, and the atomic makes the hand-over race-free.
final class StopFlag: Sendable {
    private let raised = Atomic<Int32>(0)

    /// The signal that asked to stop, or nil while running.
    var signal: Int32? {
        let value = raised.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    var isSet: Bool { signal != nil }

    /// Starts watching `signals`; keep the returned sources alive for as long as that matters.
    func watch(_ signals: [Int32]) -> [DispatchSourceSignal] {
        signals.map { number in
            // Ignored first, or the default action would kill the process before the source runs.
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                _ = raised.compareExchange(expected: 0, desired: number, ordering: .acquiringAndReleasing)
            }
            source.resume()
            return source
        }
    }
}
