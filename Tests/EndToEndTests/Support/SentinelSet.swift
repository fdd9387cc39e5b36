import Foundation
import RedisClient
import RedisProtocol

/// One redis-server in sentinel mode on a free loopback port: its own writable config file in a
/// temporary folder (sentinel rewrites it), stopped by its pid, the folder removed at the end.
final class RedisSentinel: @unchecked Sendable {
    let version: RedisVersion
    let directory: URL
    /// The sentinel's own password (`requirepass`), or none.
    let password: String?
    /// With TLS, the sentinel serves TLS only and reaches the servers over TLS.
    let pki: RedisPKI?
    private(set) var port = 0
    private var process: Process?

    var configPath: String { directory.appendingPathComponent("sentinel.conf").path }
    /// Sentinel's log: kept for a failing test's message.
    var logPath: String { directory.appendingPathComponent("sentinel.log").path }

    init(_ version: RedisVersion, masterName: String, masterPort: Int, masterPassword: String?, password: String?,
         tls pki: RedisPKI? = nil) throws {
        self.version = version
        self.password = password
        self.pki = pki
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slx-sentinel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = [
            "bind 127.0.0.1", "daemonize no", "dir \(directory.path)", "logfile \(logPath)",
            "sentinel monitor \(masterName) 127.0.0.1 \(masterPort) 2",
            "sentinel down-after-milliseconds \(masterName) 1000",
            "sentinel failover-timeout \(masterName) 5000",
        ]
        if let masterPassword { config.append("sentinel auth-pass \(masterName) \(masterPassword)") }
        if let password { config.append("requirepass \(password)") }
        if let pki {
            config += ["tls-cert-file \(pki.path("server.pem"))", "tls-key-file \(pki.path("server.key"))",
                       "tls-ca-cert-file \(pki.path("ca.pem"))", "tls-auth-clients no", "tls-replication yes"]
        }
        for _ in 0..<20 {
            let port = try freeLoopbackPort()
            let listen = pki == nil ? ["port \(port)"] : ["port 0", "tls-port \(port)"]
            try Data((listen + config).joined(separator: "\n").appending("\n").utf8)
                .write(to: URL(fileURLWithPath: configPath))
            if try launch(port: port) { return }
        }
        throw TestFailure("cannot start a sentinel with \(version.binary)")
    }

    /// Starts it again on its port, with the config it rewrote (what it learnt is kept).
    func restart() throws {
        for _ in 0..<20 {
            if try launch(port: port) { return }
            usleep(200_000)
        }
        throw TestFailure("cannot restart the sentinel on port \(port)")
    }

    /// Runs `redis-server FILE --sentinel` and waits until it answers PING; false if it exits.
    private func launch(port: Int) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: version.binary)
        p.arguments = [configPath, "--sentinel"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && p.isRunning {
            if let c = try? connect(port: port), (try? c.run("PING")) != nil {
                self.port = port
                process = p
                return true
            }
            usleep(20_000)
        }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        return false
    }

    /// Stops it by its pid and waits for it to exit.
    func stop() {
        guard let p = process else { return }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    var isRunning: Bool { process?.isRunning == true }

    func connect(port: Int? = nil) throws -> RedisConnection {
        try RedisConnection(endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port ?? self.port), password: password,
                                                    tls: pki.map { TLSClientOptions(caFile: $0.path("ca.pem")) }),
                            timeoutSeconds: 2)
    }

    /// The master's port as this sentinel names it now (nil: it does not know the name).
    func masterPort(_ name: String) throws -> Int? {
        let reply = try connect().run("SENTINEL", "get-master-addr-by-name", name)
        guard let items = reply.array, items.count == 2, let port = items[1].text.flatMap({ Int($0) }) else { return nil }
        return port
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A master, one replica and three sentinels watching them as `mymaster`, every one on a free
/// loopback port of its own. Optional passwords: `password` for master and replica
/// (`requirepass` and `masterauth`), `sentinelPassword` for the sentinels' own `requirepass`.
///
/// Order (measured, see the notes of the sentinel research): master and replica with
/// `repl-diskless-sync-delay 0`, the replication link up, and only then the sentinels, whose
/// first INFO to the master finds the replica at once (about 1.1 s in all).
final class SentinelSet: @unchecked Sendable {
    static let masterName = "mymaster"
    let version: RedisVersion
    let password: String?
    let sentinelPassword: String?
    /// The data servers, the first started as the master.
    let servers: [RedisServer]
    let sentinels: [RedisSentinel]
    /// With TLS, every server and sentinel serves TLS only (`rediss://`), replication too.
    let pki: RedisPKI?

    init(_ version: RedisVersion, password: String? = nil, sentinelPassword: String? = nil, tls pki: RedisPKI? = nil) throws {
        self.version = version
        self.password = password
        self.sentinelPassword = sentinelPassword
        self.pki = pki
        var common = ["--repl-diskless-sync-delay", "0"]
        if let password { common += ["--masterauth", password] }
        if pki != nil { common += ["--tls-replication", "yes"] }
        let master = try RedisServer(version, password: password, tls: pki?.server(), arguments: common)
        let replica = try RedisServer(version, password: password, tls: pki?.server(),
                                      arguments: ["--replicaof", "127.0.0.1", "\(master.port)"] + common)
        servers = [master, replica]
        let replicaConnection = try replica.connect()
        try eventually(15, "the replica's link to the master") {
            try replicaConnection.run("INFO", "replication").text?.contains("master_link_status:up") == true
        }
        sentinels = try (0..<3).map { _ in
            try RedisSentinel(version, masterName: Self.masterName, masterPort: master.port,
                              masterPassword: password, password: sentinelPassword, tls: pki)
        }
        for sentinel in sentinels {
            try eventually(15, "sentinel \(sentinel.port) seeing the master and its replica") {
                let c = try sentinel.connect()
                let replicas = try c.run("SENTINEL", "replicas", Self.masterName).array ?? []
                return try sentinel.masterPort(Self.masterName) == master.port && !replicas.isEmpty
            }
        }
    }

    /// The sentinels for `--redis.url`, in order, comma-separated; `userinfo` (such as
    /// `:password`) goes into the first URL, where the exporter takes the master's password from.
    func sentinelURLs(userinfo: String? = nil) -> String {
        sentinels.enumerated().map { index, sentinel in
            let credentials = index == 0 ? userinfo.map { "\($0)@" } ?? "" : ""
            return "\(pki == nil ? "redis" : "rediss")://\(credentials)127.0.0.1:\(sentinel.port)/0"
        }.joined(separator: ",")
    }

    /// The master's port as the first running sentinel names it.
    func currentMasterPort() throws -> Int {
        for sentinel in sentinels where sentinel.isRunning {
            if let port = try? sentinel.masterPort(Self.masterName) { return port }
        }
        throw TestFailure("no running sentinel names \(Self.masterName)")
    }

    func server(port: Int) throws -> RedisServer {
        try require(servers.first { $0.port == port }, "a server on port \(port)")
    }

    /// The server the sentinels name as master now.
    func currentMaster() throws -> RedisServer { try server(port: currentMasterPort()) }

    /// A connection to whichever server is master now.
    func masterConnection() throws -> RedisConnection { try currentMaster().connect() }

    struct Failover {
        var old: RedisServer
        var new: RedisServer
        /// When every sentinel named the new master (the test's clock).
        var switchedAt: Date
        /// When SENTINEL FAILOVER was sent.
        var requestedAt: Date
    }

    /// `SENTINEL FAILOVER mymaster` through the first sentinel. Waits until the replica has been
    /// promoted (its ROLE says master), runs `promoted(old, new)` (both writable then: the old
    /// master stays a master for about 10 s), then waits until every running sentinel names the
    /// new master. The wait for the sentinels is generous (15 s): their switch takes 0.6–1.1 s
    /// as measured, and is not what a test of the exporter measures.
    @discardableResult
    func failover(promoted: (RedisServer, RedisServer) throws -> Void = { _, _ in }) throws -> Failover {
        let old = try currentMaster()
        let new = try require(servers.first { $0 !== old }, "a replica")
        let requestedAt = Date()
        let asked = try require(sentinels.first { $0.isRunning }, "a running sentinel")
        try asked.connect().run("SENTINEL", "FAILOVER", Self.masterName)
        // A new connection each time: sentinel closes the replica's clients as it promotes it.
        try eventually(15, "the replica promoted") {
            try new.connect().run("ROLE").array?.first?.text == "master"
        }
        try promoted(old, new)
        do {
            try eventually(15, "every sentinel naming the new master") {
                try sentinels.filter(\.isRunning).allSatisfy { try $0.masterPort(Self.masterName) == new.port }
            }
        } catch {
            throw TestFailure("\(error); sentinel log:\n\(asked.log)")
        }
        return Failover(old: old, new: new, switchedAt: Date(), requestedAt: requestedAt)
    }
}
