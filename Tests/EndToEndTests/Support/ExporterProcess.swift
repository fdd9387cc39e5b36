import Foundation
import Synchronization

/// Where the built executables are: `STREAM_LAG_BIN_DIR`, else this package's `.build/debug`.
enum Binaries {
    /// The folder holding Package.swift.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["STREAM_LAG_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    static var exporter: URL { directory.appendingPathComponent("stream-lag-exporter") }
}

/// Captures a pipe's bytes on a background reader: a thread of its own that reads until end of
/// file, then closes its end. (Not `FileHandle.readabilityHandler`: under AddressSanitizer,
/// LeakSanitizer found Foundation's readability monitor leaking its handler's weak references,
/// 193 leaks of 1.3 MB at the end of one suite run.)
final class OutputCapture: Sendable {
    private final class Buffer: Sendable {
        let data = Mutex<Data>(Data())
    }
    private let buffer = Buffer()

    init(_ pipe: Pipe) {
        let buffer = self.buffer
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
            while case let data = handle.availableData, !data.isEmpty {
                buffer.data.withLock { $0.append(data) }
            }
            try? handle.close()
        }
    }

    var text: String { buffer.data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// The real exporter binary, started with the given flags on a free port, stopped by its pid.
final class ExporterProcess: @unchecked Sendable {
    let process = Process()
    let stderr: OutputCapture
    let stdout: OutputCapture
    private(set) var port = 0

    /// Starts the exporter and waits until it listens (its log says where).
    init(_ arguments: [String], environment: [String: String] = [:], waitForListen: Bool = true) throws {
        process.executableURL = Binaries.exporter
        var args = arguments
        if !args.contains("--web.listen-address") { args += ["--web.listen-address", "127.0.0.1:0"] }
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        for key in ["REDIS_URL", "REDIS_PASSWORD", "EVENT_STREAMS", "EVENT_TRANSPORT_CONSUMER_GROUP"] { env[key] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = out
        stderr = OutputCapture(err)
        stdout = OutputCapture(out)
        try process.run()
        if waitForListen {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let port = Self.listenPort(in: stderr.text) {
                    self.port = port
                    return
                }
                if !process.isRunning { break }
                usleep(10_000)
            }
            throw TestFailure("exporter did not start listening; stderr:\n\(stderr.text)")
        }
    }

    /// The port from the "listening" log line, in logfmt or JSON.
    static func listenPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("msg=listening") || line.contains("\"msg\":\"listening\"") {
            for marker in ["web.address=", "\"web.address\":\""] {
                guard let range = line.range(of: marker) else { continue }
                let address = line[range.upperBound...].prefix { $0 != " " && $0 != "\"" }
                if let colon = address.lastIndex(of: ":") { return Int(address[address.index(after: colon)...]) }
            }
        }
        return nil
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func get(_ path: String, method: String = "GET", headers: [String] = [], curl extra: [String] = []) throws -> HTTPResult {
        try HTTPResult.fetch(base + path, method: method, headers: headers, curl: extra)
    }

    /// Over TLS, trusting `ca` (a PEM file); `extra` adds curl flags such as a client certificate.
    func getTLS(_ path: String, ca: String, headers: [String] = [], curl extra: [String] = []) throws -> HTTPResult {
        try HTTPResult.fetch("https://127.0.0.1:\(port)" + path, headers: headers, curl: ["--cacert", ca] + extra)
    }

    /// Sends SIGTERM and waits; returns the exit status.
    @discardableResult
    func terminate(signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        return waitForExit(process, timeout: timeout) ? process.terminationStatus : nil
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Runs the exporter binary to completion (for flag tests): status, stdout, stderr.
func runExporter(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = Binaries.exporter
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let outCapture = OutputCapture(out), errCapture = OutputCapture(err)
    try p.run()
    guard waitForExit(p, timeout: 10) else { throw TestFailure("exporter \(arguments) did not exit") }
    usleep(50_000)
    return (p.terminationStatus, outCapture.text, errCapture.text)
}
