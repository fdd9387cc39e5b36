import Dispatch
import Foundation
import HTTPServer
import Synchronization
import Testing

@testable import Auth

/// HTTPServer's deferred replies (suspend and resume) and the bounded password-check queue.
@Suite("Deferred replies", .serialized)
struct DeferredReplyTests {
    /// `/slow` defers: its work waits for `release`, then the reply echoes the verdict and a
    /// header read after the connection resumed; `/fast` answers at once.
    final class Handler: HTTPHandler {
        let started = Atomic<Int>(0)
        let release = DispatchSemaphore(value: 0)
        /// The `done` callbacks of work that is never finished by itself.
        let held = Mutex<[@Sendable (String) -> Void]>([])
        let holdForever: Bool

        init(holdForever: Bool = false) { self.holdForever = holdForever }

        func respond(to request: HTTPRequest) -> HTTPAnswer {
            guard request.path == "/slow" else {
                return .now(HTTPReply(status: 200, response: PreparedResponse(text: "fast", contentType: "text/plain")))
            }
            return .later(DeferredReply(
                start: { [self] (done: @escaping @Sendable (String) -> Void) in
                    started.add(1, ordering: .relaxed)
                    if holdForever {
                        held.withLock { $0.append(done) }
                        return
                    }
                    Thread { [self] in
                        release.wait()
                        done("released")
                    }.start()
                },
                then: { verdict, request in
                    let tag = request.header("X-Tag") ?? "none"
                    return HTTPReply(status: 200, response: PreparedResponse(text: "\(verdict)|\(tag)", contentType: "text/plain"))
                }))
        }
    }

    /// curl in the background: status code and body, or nil when the connection failed.
    final class Fetch: @unchecked Sendable {
        private let process = Process()
        private let out = Pipe()

        init(port: Int, path: String, tag: String = "none") throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "--max-time", "20", "-H", "X-Tag: \(tag)", "-w", "\n%{http_code}",
                                 "http://127.0.0.1:\(port)\(path)"]
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func result() -> (status: Int, body: String)? {
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]), status > 0
            else { return nil }
            return (status, String(text[..<newline]))
        }
    }

    private func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    @Test func deferredRepliesHoldNoServingThread() throws {
        let handler = Handler()
        let server = try HTTPServer(host: "127.0.0.1", port: 0, handler: handler, limits: HTTPLimits(threads: 2))
        defer { server.shutdown(graceSeconds: 0) }
        // Three times as many deferred requests as the server has threads.
        let slow = try (0..<6).map { try Fetch(port: server.port, path: "/slow", tag: "t\($0)") }
        #expect(waitUntil(10) { handler.started.load(ordering: .relaxed) == 6 })
        let clock = ContinuousClock()
        var fast: (status: Int, body: String)?
        let took = try clock.measure { fast = try Fetch(port: server.port, path: "/fast").result() }
        #expect(fast?.status == 200 && fast?.body == "fast", "served while six replies wait")
        print("a request while 6 replies wait on 2 threads: \(took)")

        for _ in slow { handler.release.signal() }
        for (index, fetch) in slow.enumerated() {
            let result = fetch.result()
            #expect(result?.status == 200)
            #expect(result?.body == "released|t\(index)", "the reply is made after resuming, with the request's headers")
        }
    }

    /// MHD_stop_daemon aborts the process while a connection is suspended: shutting down with
    /// replies still pending must resume them (503 or a closed connection), and a `done` that
    /// comes after must be ignored.
    @Test func stoppingWithSuspendedConnectionsIsSafe() throws {
        let handler = Handler(holdForever: true)
        let server = try HTTPServer(host: "127.0.0.1", port: 0, handler: handler, limits: HTTPLimits(threads: 2))
        let pending = try (0..<3).map { _ in try Fetch(port: server.port, path: "/slow") }
        #expect(waitUntil(10) { handler.started.load(ordering: .relaxed) == 3 })
        server.shutdown(graceSeconds: 0.2)
        for fetch in pending {
            let result = fetch.result()
            #expect(result == nil || result?.status == 503, "\(String(describing: result))")
        }
        for done in handler.held.withLock({ $0 }) { done("too late") }
        usleep(100_000)
    }

    @Test func passwordCheckQueueIsBounded() throws {
        let queue = PasswordCheckQueue(limit: 2)
        let gate = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let first = try #require(queue.reserve())
        let second = try #require(queue.reserve())
        #expect(queue.reserve() == nil, "a third check is refused while two are taken")
        first.run { gate.wait(); finished.signal() }
        second.run { finished.signal() }
        #expect(queue.reserve() == nil)
        gate.signal()
        finished.wait()
        finished.wait()
        #expect(waitUntil(5) { queue.taken == 0 })
        // A place that is never used is given back.
        do { _ = queue.reserve() }
        #expect(queue.taken == 0)
        let third = try #require(queue.reserve())
        third.run { finished.signal() }
        finished.wait()
    }
}
