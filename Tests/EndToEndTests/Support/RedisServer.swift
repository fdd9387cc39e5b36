import Foundation
import RedisClient
import RedisProtocol

/// One Redis version of the test matrix: a name and a redis-server binary.
struct RedisVersion: Sendable, CustomTestStringConvertible {
    let name: String
    let binary: String
    var testDescription: String { "redis \(name)" }

    /// From `STREAM_LAG_REDIS_SERVERS` (`6.2.5=/path,7.0=/path,...`, set by scripts/test.sh),
    /// else the `redis-server` on PATH. The suite runs once per entry.
    static let all: [RedisVersion] = {
        if let spec = ProcessInfo.processInfo.environment["STREAM_LAG_REDIS_SERVERS"], !spec.isEmpty {
            return spec.split(separator: ",").compactMap { item in
                let kv = item.split(separator: "=", maxSplits: 1)
                return kv.count == 2 ? RedisVersion(name: String(kv[0]), binary: String(kv[1])) : nil
            }
        }
        return [RedisVersion(name: "system", binary: "/usr/bin/redis-server")]
    }()

    /// The last (newest) version of the matrix: for tests of figures that only Redis >= 7
    /// reports, such as entries-read and entries-added.
    static var newest: RedisVersion { all[all.count - 1] }
}

import Testing

/// A private redis-server on a free loopback port, stopped by its pid when the test ends.
final class RedisServer: @unchecked Sendable {
    let version: RedisVersion
    private(set) var port: Int = 0
    private var process: Process?
    let directory: URL
    let password: String?

    init(_ version: RedisVersion, password: String? = nil) throws {
        self.version = version
        self.password = password
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slx-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start(port: nil)
    }

    /// Starts (again) on `port`, or on a free one: a random port is tried and another is picked
    /// if redis-server cannot bind it.
    func start(port wanted: Int?) throws {
        for _ in 0..<40 {
            let port = wanted ?? Int.random(in: 20_000...60_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: version.binary)
            var args = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", directory.path, "--daemonize", "no", "--loglevel", "warning",
                        "--unixsocket", socketPath, "--unixsocketperm", "700"]
            if let password { args += ["--requirepass", password] }
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline && p.isRunning {
                if (try? connect(port: port)) != nil {
                    self.port = port
                    process = p
                    return
                }
                usleep(20_000)
            }
            if p.isRunning { p.terminate(); p.waitUntilExit() }
            if wanted != nil { usleep(200_000) }
        }
        throw TestFailure("cannot start \(version.binary)")
    }

    /// Stops the server by its pid and waits for it to exit.
    func stop() {
        guard let p = process else { return }
        if p.isRunning {
            kill(p.processIdentifier, SIGCONT)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    /// Freezes the server (SIGSTOP) to play a Redis that answers nothing; `resume()` thaws it.
    func pause() { process.map { _ = kill($0.processIdentifier, SIGSTOP) } }
    func resume() { process.map { _ = kill($0.processIdentifier, SIGCONT) } }

    func connect(port: Int? = nil) throws -> RedisConnection {
        try RedisConnection(
            endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port ?? self.port), password: password),
            timeoutSeconds: 2)
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// The server's unix socket, beside its data (well under the 107-byte path limit).
    var socketPath: String { directory.appendingPathComponent("redis.sock").path }
    var unixURL: String { "unix://\(socketPath)?db=0" }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
