internal import CMicroHTTPD
import Foundation
import Synchronization

/// Closes connections whose request headers do not arrive in time. libmicrohttpd's own timeout
/// counts idle time, so a client that trickles a byte every few seconds would keep its
/// connection for ever; this is a deadline instead.
///
/// A connection waits for headers from its accept (deadline: `first`) and again from the end of
/// each response (deadline: `next`, which also covers the idle time a keep-alive client may
/// spend before its next request). A reaper thread shuts down the socket of a connection past
/// its deadline; MHD then sees the connection fail and closes it the usual way. The socket is
/// never closed here, and a connection leaves the table (under the lock) when MHD reports it
/// closed, which MHD does before it closes the socket: the reaper never touches a socket that
/// could have been reused.
final class HeaderDeadlines: Sendable {
    private struct Waiting {
        let socket: Int32
        /// Monotonic nanoseconds after which the connection is cut; nil while a request is served.
        var deadline: UInt64?
    }
    private struct State {
        var connections: [UInt: Waiting] = [:]
        var stopping = false
        var cut = 0
    }
    private let state = Mutex(State())
    private let first: UInt64
    private let next: UInt64
    private let reaperDone = DispatchSemaphore(value: 0)
    private let reaperStarted: Bool

    /// - Parameters:
    ///   - first: seconds from accept to the end of the first request's headers (0: no deadline).
    ///   - next: seconds from the end of a response to the end of the next request's headers.
    init(first: Double, next: Double) {
        self.first = UInt64(max(first, 0) * 1e9)
        self.next = UInt64(max(next, 0) * 1e9)
        reaperStarted = first > 0
        if reaperStarted {
            let thread = Thread { [self] in reap() }
            thread.name = "http-header-deadlines"
            thread.stackSize = 128 * 1024
            thread.start()
        }
    }

    /// Connections cut so far.
    var cutCount: Int { state.withLock { $0.cut } }

    /// MHD_CONNECTION_NOTIFY_STARTED.
    func started(_ connection: OpaquePointer) {
        guard reaperStarted else { return }
        let socket = slx_connection_fd(connection)
        guard socket >= 0 else { return }
        let deadline = now() + first
        state.withLock { $0.connections[key(connection)] = Waiting(socket: socket, deadline: deadline) }
    }

    /// MHD_CONNECTION_NOTIFY_CLOSED: before MHD closes the socket.
    func closed(_ connection: OpaquePointer) {
        guard reaperStarted else { return }
        _ = state.withLock { $0.connections.removeValue(forKey: key(connection)) }
    }

    /// The headers of a request are in: no deadline until its response is sent.
    func headersArrived(_ connection: OpaquePointer) {
        guard reaperStarted else { return }
        state.withLock { $0.connections[key(connection)]?.deadline = nil }
    }

    /// A response is sent (or the request ended): the next request's headers are awaited.
    func requestEnded(_ connection: OpaquePointer) {
        guard reaperStarted else { return }
        let deadline = now() + next
        state.withLock { $0.connections[key(connection)]?.deadline = deadline }
    }

    /// Stops the reaper and waits for it; MHD may then close every connection.
    func stop() {
        let wasStopping = state.withLock { state in
            defer { state.stopping = true }
            return state.stopping
        }
        if reaperStarted && !wasStopping { reaperDone.wait() }
    }

    private func reap() {
        while true {
            let stopping = state.withLock { state -> Bool in
                guard !state.stopping else { return true }
                let time = now()
                for (connection, waiting) in state.connections {
                    guard let deadline = waiting.deadline, deadline <= time else { continue }
                    _ = Foundation.shutdown(waiting.socket, Int32(SHUT_RDWR))
                    state.connections[connection]?.deadline = nil
                    state.cut += 1
                }
                return false
            }
            if stopping { break }
            usleep(100_000)
        }
        reaperDone.signal()
    }

    private func key(_ connection: OpaquePointer) -> UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))) }

    private func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
