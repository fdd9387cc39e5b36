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

/// The files of a TLS-only redis-server: its certificate and key, and the CA that verifies
/// clients (asked for when `authClients`).
struct RedisTLSFiles: Sendable {
    var cert: String
    var key: String
    var ca: String
    var authClients = false
}

/// A private redis-server on a free loopback port, stopped by its pid when the test ends.
/// With `tls`, the port serves TLS only (`--port 0 --tls-port P`); the unix socket beside its
/// data stays plain, for the test's own reads.
final class RedisServer: @unchecked Sendable {
    let version: RedisVersion
    private(set) var port: Int = 0
    private var process: Process?
    let directory: URL
    let password: String?
    let tls: RedisTLSFiles?
    /// More redis-server arguments (`--replicaof`, `--masterauth`, ...).
    let extraArguments: [String]
    /// Where a free port is looked for. A cluster node narrows it: its bus port (port + 10000)
    /// must be free too and at most 65535.
    let ports: ClosedRange<Int>

    init(_ version: RedisVersion, password: String? = nil, tls: RedisTLSFiles? = nil, arguments: [String] = [],
         ports: ClosedRange<Int> = 20_000...60_000) throws {
        self.version = version
        self.password = password
        self.tls = tls
        extraArguments = arguments
        self.ports = ports
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slx-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start(port: nil)
    }

    /// Starts (again) on `port`, or on a free one: a random port is tried and another is picked
    /// if redis-server cannot bind it.
    func start(port wanted: Int?) throws {
        for _ in 0..<40 {
            let port = wanted ?? Int.random(in: ports)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: version.binary)
            var args = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", directory.path, "--daemonize", "no", "--loglevel", "warning",
                        "--unixsocket", socketPath, "--unixsocketperm", "700"]
            if let tls {
                args[1] = "0"
                args += ["--tls-port", "\(port)", "--tls-cert-file", tls.cert, "--tls-key-file", tls.key,
                         "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", tls.authClients ? "yes" : "no"]
            }
            if let password { args += ["--requirepass", password] }
            args += extraArguments
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline && p.isRunning {
                // The pid tells this server from another test's that already held the port.
                if let c = try? connect(port: port), (try? c.serverPID()) == p.processIdentifier,
                   tls == nil || Self.listens(port) {
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

    /// The running server's pid, nil once stopped.
    var pid: Int32? { process.map(\.processIdentifier) }

    /// Whether the server process is running (false once stopped or killed).
    var isRunning: Bool { process?.isRunning == true }

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

    /// A plain connection for the test's own reads and writes: TCP, or the unix socket of a
    /// TLS-only server.
    func connect(port: Int? = nil) throws -> RedisConnection {
        let address: RedisEndpoint.Address = tls == nil ? .tcp(host: "127.0.0.1", port: port ?? self.port) : .unix(path: socketPath)
        return try RedisConnection(endpoint: RedisEndpoint(address: address, password: password), timeoutSeconds: 2)
    }

    /// Whether something accepts TCP connections on the loopback port.
    static func listens(_ port: Int) -> Bool {
        (try? RedisConnectionProbe.accepts(port: port)) == true
    }

    /// `redis://` or, for a TLS server, `rediss://` on the loopback port.
    var url: String { "\(tls == nil ? "redis" : "rediss")://127.0.0.1:\(port)/0" }

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

/// A bare TCP connect, for "is the port open yet".
enum RedisConnectionProbe {
    static func accepts(port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
