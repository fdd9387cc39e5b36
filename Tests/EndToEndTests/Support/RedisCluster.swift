import Foundation
import RedisClient
import RedisProtocol

/// A real Redis Cluster on loopback: `primaries` primaries and as many replicas each, made by
/// `redis-cli --cluster create`, every node a `RedisServer` of its own (own folder, own
/// `nodes.conf`, stopped by its pid). Failover, promotion after a kill and live resharding are
/// driven the way an operator would, and every wait ends when every live node agrees.
///
/// Ports: a node's bus port is its port + 10000 (6.2 has no `--cluster-port`), so nodes take
/// ports in 12000-21999: both ports stay below the kernel's ephemeral range (32768-60999), where
/// any outgoing connection could hold a bus port. A node that cannot bind either exits, and its
/// `RedisServer` tries another port.
final class RedisCluster: @unchecked Sendable {
    static let nodePorts = 12_000...21_999
    static let nodeTimeoutMs = 1000

    let version: RedisVersion
    let password: String?
    /// With TLS, every node serves TLS only, the cluster bus and replication too.
    let pki: RedisPKI?
    /// Every node started, in start order, whatever its role now (killed ones too).
    let nodes: [ClusterNode]
    /// The redis-cli beside the version's redis-server, else Debian's (7.0, which creates and
    /// reshards 6.2 and 8.2 clusters too).
    let cli: String
    /// Reshard logs and the create log.
    let directory: URL
    /// From the first node started to every node agreeing.
    private(set) var startupSeconds: Double = 0

    /// Connections for the harness's own questions, by node ID; dropped after an I/O error.
    private var connections: [String: RedisConnection] = [:]
    private var reshards: [ClusterReshard] = []
    /// What a killed primary owned and who replicated it: what `waitForPromotion` waits for.
    private var killedPrimaries: [(node: ClusterNode, slots: [Int], replicas: [String])] = []
    private var stopped = false
    /// `MOVED` and `ASK` replies followed by `run`, for a test that wants to know it saw some.
    var redirectsFollowed = 0

    init(_ version: RedisVersion, primaries: Int = 3, replicasPerPrimary: Int = 1, password: String? = nil,
         tls pki: RedisPKI? = nil, timeout: Double = 20) throws {
        let started = Date()
        self.version = version
        self.password = password
        self.pki = pki
        let sibling = URL(fileURLWithPath: version.binary).deletingLastPathComponent().appendingPathComponent("redis-cli").path
        cli = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "/usr/bin/redis-cli"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slx-cluster-\(UUID().uuidString)")

        var arguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                         "--cluster-node-timeout", "\(Self.nodeTimeoutMs)",
                         // A replica may always take over, however long its link was down.
                         "--cluster-replica-validity-factor", "0",
                         "--repl-diskless-sync-delay", "0",
                         // CLUSTER SLOTS (7.0+) lists a replica only once its replication offset
                         // is not 0: on an empty primary, that waits for the first ping (10 s).
                         "--repl-ping-replica-period", "1",
                         // Relative to --dir, which RedisServer passes first.
                         "--loglevel", "notice", "--logfile", "redis.log"]
        if pki != nil { arguments += ["--tls-cluster", "yes", "--tls-replication", "yes"] }
        if let password { arguments += ["--masterauth", password] }
        var nodes: [ClusterNode] = []
        for _ in 0..<(primaries * (1 + replicasPerPrimary)) {
            let server = try RedisServer(version, password: password, tls: pki?.server(), arguments: arguments, ports: Self.nodePorts)
            let id = try require(server.connect().run("CLUSTER", "MYID").text, "CLUSTER MYID")
            nodes.append(ClusterNode(server: server, id: id))
        }
        self.nodes = nodes
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let create = try runTool(cli, cliArguments + ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
            + ["--cluster-replicas", "\(replicasPerPrimary)", "--cluster-yes"])
        try? Data(create.output.utf8).write(to: directory.appendingPathComponent("create.log"))
        guard create.status == 0 else { throw TestFailure("redis-cli --cluster create failed:\n\(create.output)") }
        try waitUntilSettled(timeout: timeout) { map, _ in
            map.primaries.count == primaries && map.ranges.allSatisfy { $0.replicas.count == replicasPerPrimary }
        }
        startupSeconds = Date().timeIntervalSince(started)
    }

    /// redis-cli's connection options: TLS, password.
    var cliArguments: [String] {
        var args: [String] = []
        if let pki { args += ["--tls", "--cacert", pki.path("ca.pem")] }
        if let password { args += ["-a", password, "--no-auth-warning"] }
        return args
    }

    // MARK: Topology

    var liveNodes: [ClusterNode] { nodes.filter(\.isRunning) }

    /// `redis://` (or `rediss://`) URLs of every live node: seeds for a cluster client.
    var seedURLs: [String] { liveNodes.map(\.url) }

    func node(id: String) throws -> ClusterNode { try require(nodes.first { $0.id == id }, "node \(id)") }
    func node(port: Int) throws -> ClusterNode { try require(nodes.first { $0.port == port }, "a node on port \(port)") }

    /// The slot map as the first live node sees it.
    func slotMap() throws -> ClusterSlotMap {
        try ClusterSlotMap(clusterSlots: ask(require(liveNodes.first, "a live node"), "CLUSTER", "SLOTS"))
    }

    /// Live primaries that own slots, in the order of their first slot.
    var primaries: [ClusterNode] {
        get throws { try slotMap().primaries.map { try node(id: $0) }.filter(\.isRunning) }
    }

    /// Live replicas, as the first live node's `CLUSTER NODES` says.
    var replicas: [ClusterNode] {
        get throws { try roles().filter { $0.value != nil }.map { try node(id: $0.key) }.sorted { $0.port < $1.port } }
    }

    func replicas(of primary: ClusterNode) throws -> [ClusterNode] {
        try roles().filter { $0.value == primary.id }.map { try node(id: $0.key) }.sorted { $0.port < $1.port }
    }

    func primary(forSlot slot: Int) throws -> ClusterNode {
        try node(id: require(slotMap().owner(ofSlot: slot), "an owner of slot \(slot)"))
    }

    /// Every live node that is not failing, with its primary's ID (nil for a primary), as the
    /// first live node's `CLUSTER NODES` says.
    func roles() throws -> [String: String?] {
        let live = Set(liveNodes.map(\.id))
        let lines = ClusterNodesLine.parse(try ask(require(liveNodes.first, "a live node"), "CLUSTER", "NODES"))
        return Dictionary(uniqueKeysWithValues: lines.filter { live.contains($0.id) && !$0.isFailing }.map { ($0.id, $0.primaryID) })
    }

    // MARK: Agreement

    /// Waits until every live node says `cluster_state:ok`, returns the same slot map covering
    /// every slot, owned by live nodes only, knows every live node with the same role and no
    /// failing flag, has no slot open for migration, and every replica's link is up; and until
    /// `also(map, roles)` holds.
    func waitUntilSettled(timeout: Double = 15, also: (ClusterSlotMap, [String: String?]) throws -> Bool = { _, _ in true }) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "not asked yet"
        while Date() < deadline {
            do {
                if let problem = try unsettled() {
                    last = problem
                } else if try also(slotMap(), roles()) {
                    return
                } else {
                    last = "settled, but not as the caller waits for: \(try slotMap())"
                }
            } catch {
                last = "\(error)"
            }
            usleep(50_000)
        }
        throw TestFailure("the cluster did not settle in \(timeout) s: \(last)")
    }

    /// Why the cluster is not settled yet, or nil.
    func unsettled() throws -> String? {
        let live = liveNodes
        let liveIDs = Set(live.map(\.id))
        var firstMap: ClusterSlotMap?
        var firstRoles: [String: String?]?
        for node in live {
            let info = try ask(node, "CLUSTER", "INFO").text ?? ""
            guard info.contains("cluster_state:ok") else { return "\(node): cluster_state is not ok" }
            let map = try ClusterSlotMap(clusterSlots: ask(node, "CLUSTER", "SLOTS"))
            guard map.coversEverySlot else { return "\(node): not every slot covered: \(map)" }
            if let dead = map.ranges.first(where: { !liveIDs.contains($0.primary) }) {
                return "\(node): slots \(dead.slots) still owned by \(dead.primary.prefix(8)), which is down"
            }
            if let firstMap, map != firstMap { return "\(node) sees \(map), \(live[0]) sees \(firstMap)" }
            firstMap = map
            let lines = ClusterNodesLine.parse(try ask(node, "CLUSTER", "NODES")).filter { liveIDs.contains($0.id) }
            guard lines.count == live.count else { return "\(node) knows \(lines.count) of \(live.count) live nodes" }
            if let failing = lines.first(where: \.isFailing) { return "\(node) flags \(failing.id.prefix(8)) \(failing.flags.sorted())" }
            if lines.contains(where: { $0.isMyself && $0.hasOpenSlots }) { return "\(node) has a slot open for migration" }
            let roles = Dictionary(uniqueKeysWithValues: lines.map { ($0.id, $0.primaryID) })
            if let firstRoles, roles != firstRoles { return "\(node) disagrees on roles" }
            firstRoles = roles
            if case .some(.some) = roles[node.id] {
                let replication = try ask(node, "INFO", "replication").text ?? ""
                guard replication.contains("master_link_status:up") else { return "\(node): replication link not up" }
            }
        }
        return nil
    }

    /// One command on `node` over the harness's cached connection; after an I/O error the
    /// connection is dropped (a killed or demoted node closes it) and the error thrown.
    @discardableResult
    func ask(_ node: ClusterNode, _ args: String...) throws -> RedisReply {
        try ask(node, args.map { Array($0.utf8) })
    }

    @discardableResult
    func ask(_ node: ClusterNode, _ args: [[UInt8]]) throws -> RedisReply {
        try pipeline(on: node, [args])[0]
    }

    /// Commands in one round trip on `node`; error replies are returned, not thrown.
    func pipeline(on node: ClusterNode, _ commands: [[[UInt8]]]) throws -> [RedisReply] {
        do {
            let c = try connections[node.id] ?? node.connect()
            connections[node.id] = c
            return try c.pipeline(commands)
        } catch {
            connections[node.id] = nil
            throw error
        }
    }

    /// A new connection of the repo's client to `node`, for the test's own use.
    func connection(to node: ClusterNode) throws -> RedisConnection { try node.connect() }

    // MARK: Failures

    /// SIGKILLs `node` by its pid. For a primary, what it owned and who replicated it are kept
    /// for `waitForPromotion`.
    func kill(_ node: ClusterNode) throws {
        let map = try slotMap()
        let slots = map.slots(ownedBy: node.id)
        if !slots.isEmpty {
            let replicas = try roles().filter { $0.value == node.id }.map(\.key)
            killedPrimaries.append((node, slots, replicas))
        }
        node.server.stop()
        connections[node.id] = nil
    }

    /// Starts a killed node again on its port and its own `nodes.conf`: it rejoins (a former
    /// primary as a replica of whoever took its slots).
    func restart(_ node: ClusterNode) throws {
        try node.server.start(port: node.port)
    }

    /// Waits until one of the killed primary's replicas owns every slot it owned and every live
    /// node agrees (node timeout 1 s: a few seconds). `killed` defaults to the last primary killed.
    @discardableResult
    func waitForPromotion(replacing killed: ClusterNode? = nil, timeout: Double = 15) throws -> ClusterNode {
        let record = try require(killedPrimaries.last { killed == nil || $0.node === killed }, "a killed primary")
        var promoted: String?
        try waitUntilSettled(timeout: timeout) { map, _ in
            let owners = Set(record.slots.map { map.owner(ofSlot: $0) })
            guard owners.count == 1, let owner = owners.first ?? nil, record.replicas.contains(owner) else { return false }
            promoted = owner
            return true
        }
        return try node(id: require(promoted, "the promoted replica"))
    }

    /// `CLUSTER FAILOVER` sent to `replica`; waits until it is a primary, its old primary is its
    /// replica, and every live node agrees.
    func failover(to replica: ClusterNode, timeout: Double = 15) throws {
        let old = try require(roles()[replica.id] ?? nil, "\(replica) as a replica")
        try ask(replica, "CLUSTER", "FAILOVER")
        try waitUntilSettled(timeout: timeout) { _, roles in
            roles[replica.id] == .some(nil) && roles[old] == .some(.some(replica.id))
        }
    }

    // MARK: Resharding

    /// `redis-cli --cluster reshard`: moves `count` slots from one primary to another, live, and
    /// waits until every node agrees. Returns the slots moved.
    @discardableResult
    func moveSlots(_ count: Int, from source: ClusterNode, to target: ClusterNode, timeout: Double = 30) throws -> [Int] {
        let before = try slotMap()
        let started = Date()
        let reshard = try startMovingSlots(count, from: source, to: target)
        try reshard.wait(timeout: timeout)
        try waitUntilSettled(timeout: max(5, timeout - Date().timeIntervalSince(started)))
        let after = try slotMap()
        return before.slots(ownedBy: source.id).filter { after.owner(ofSlot: $0) == target.id }
    }

    /// The same reshard in the background, for a test that polls while slots move; `wait` on
    /// it, then `waitUntilSettled`. `stop()` kills it if it is still running.
    func startMovingSlots(_ count: Int, from source: ClusterNode, to target: ClusterNode) throws -> ClusterReshard {
        let log = directory.appendingPathComponent("reshard-\(reshards.count + 1).log")
        let reshard = try ClusterReshard(cli: cli, arguments: cliArguments + [
            "--cluster", "reshard", "127.0.0.1:\(source.port)", "--cluster-from", source.id, "--cluster-to", target.id,
            "--cluster-slots", "\(count)", "--cluster-yes",
        ], log: log)
        reshards.append(reshard)
        return reshard
    }

    // MARK: Stop

    /// Kills every reshard and every node by its pid and removes every temporary folder.
    func stop() {
        guard !stopped else { return }
        stopped = true
        connections = [:]
        for reshard in reshards { reshard.terminate() }
        for node in nodes {
            node.server.stop()
            try? FileManager.default.removeItem(at: node.server.directory)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The logs of every node, for a failing test's message.
    var logs: String { nodes.map { "--- \($0)\n\($0.log.suffix(3000))" }.joined(separator: "\n") }

    deinit { stop() }
}

/// A `redis-cli --cluster reshard` running in the background, its output in a file.
final class ClusterReshard: @unchecked Sendable {
    private let process = Process()
    let logURL: URL

    init(cli: String, arguments: [String], log: URL) throws {
        logURL = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try output.close()
    }

    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits for redis-cli to finish; throws with its output if it fails or takes too long.
    func wait(timeout: Double = 30) throws {
        guard waitForExit(process, timeout: timeout) else { throw TestFailure("reshard still running after \(timeout) s:\n\(output)") }
        guard process.terminationStatus == 0 else {
            throw TestFailure("reshard exited with \(process.terminationStatus):\n\(output.suffix(3000))")
        }
    }

    /// Kills it by its pid if it still runs.
    func terminate() {
        if process.isRunning { waitForExit(process, timeout: 0) }
    }
}
