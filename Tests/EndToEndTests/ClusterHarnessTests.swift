import Foundation
import RedisClient
import RedisProtocol
import Testing

/// The Redis Cluster harness itself, against real servers of every version: it comes up whole,
/// keys land where the cluster says, a killed primary is replaced, a reshard moves keys. Every
/// expected value comes from the cluster (ROLE, CLUSTER KEYSLOT/SLOTS/COUNTKEYSINSLOT, XINFO).
/// Serialized: each test runs six redis-servers on a 2-core machine.
@Suite("Cluster harness", .serialized)
struct ClusterHarnessTests {
    /// Three primaries with one replica each, every node agreeing, replication up.
    @Test(arguments: RedisVersion.all)
    func comesUpWithThreePrimariesAndThreeReplicas(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        print("cluster of \(version.name) up in \(String(format: "%.2f", cluster.startupSeconds)) s")
        let primaries = try cluster.primaries, replicas = try cluster.replicas
        #expect(primaries.count == 3)
        #expect(replicas.count == 3)
        #expect(Set((primaries + replicas).map(\.id)) == Set(cluster.nodes.map(\.id)))
        #expect(Set(cluster.nodes.compactMap(\.pid)).count == 6, "six processes of their own")
        for primary in primaries {
            #expect(try cluster.ask(primary, "ROLE").array?.first?.text == "master")
            let mine = try cluster.replicas(of: primary)
            try #require(mine.count == 1, "one replica of \(primary)")
            let role = try cluster.ask(mine[0], "ROLE").array ?? []
            #expect(role.first?.text == "slave" && role.count > 2 && role[2].int == Int64(primary.port),
                    "\(mine[0]) replicates \(primary): \(role)")
        }
        let map = try cluster.slotMap()
        #expect(map.coversEverySlot)
        #expect(map.primaries == primaries.map(\.id))
        for node in cluster.nodes {
            let info = try cluster.ask(node, "CLUSTER", "INFO").text ?? ""
            #expect(info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:16384") && info.contains("cluster_known_nodes:6"),
                    "\(node): \(info)")
            #expect(try cluster.connection(to: node).run("PING").text == "PONG")
            if version.name != "system" {
                #expect(try cluster.ask(node, "INFO", "server").text?.contains("redis_version:\(version.name)") == true)
            }
        }
        #expect(cluster.seedURLs == cluster.nodes.map { "redis://127.0.0.1:\($0.port)/0" })
        #expect(try cluster.primary(forSlot: 0) === primaries[0])
        #expect(try cluster.primary(forSlot: 16_383) === primaries[2])
    }

    /// Keys written through the harness are on the primary that CLUSTER KEYSLOT and the slot
    /// map name, and nowhere else; hash-tagged keys share a node; binary keys work.
    @Test(arguments: RedisVersion.all)
    func keysLandOnTheNodeTheClusterNames(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let prefix = "orders:\(UUID().uuidString.prefix(8)):"
        var keys = (0..<300).map { Array("\(prefix)\($0)".utf8) }
        keys.append(Array("\(prefix){tenant-7}:a".utf8))
        keys.append(Array("\(prefix){tenant-7}:b".utf8))
        keys.append([0xFF, 0x00, 0x0A] + Array(prefix.utf8))
        try cluster.addEntries(keys, 3)

        let slots = try cluster.slots(of: keys)
        let map = try cluster.slotMap()
        let primaries = try cluster.primaries
        var perSlot: [Int: Int] = [:]
        for slot in slots { perSlot[slot, default: 0] += 1 }
        var used = Set<String>()
        for (key, slot) in zip(keys, slots) {
            let owner = try #require(map.owner(ofSlot: slot))
            used.insert(owner)
            #expect(try cluster.node(owning: key).id == owner)
            let node = try cluster.node(id: owner)
            #expect(try cluster.ask(node, [Array("XLEN".utf8), key]).int == 3)
            for other in primaries where other !== node {
                #expect(try cluster.countKeys(inSlot: slot, on: other) == 0)
            }
        }
        #expect(used.count == 3, "300 keys reach every primary")
        for (slot, count) in perSlot {
            #expect(try cluster.countKeys(inSlot: slot, on: cluster.primary(forSlot: slot)) == count)
        }
        #expect(slots[300] == slots[301], "one hash tag, one slot")
        #expect(try cluster.run(key: "\(prefix){tenant-7}:a", "XLEN", "\(prefix){tenant-7}:a").int == 3)

        // A key for a chosen slot of each primary, found by asking the cluster.
        let chosen = primaries.map { map.slots(ownedBy: $0.id)[17] }
        let found = try cluster.keys(prefix: prefix, forSlots: chosen)
        for (slot, primary) in zip(chosen, primaries) {
            let key = try #require(found[slot])
            #expect(try cluster.slot(of: key) == slot)
            #expect(try cluster.node(owning: key) === primary)
        }
    }

    /// A SIGKILLed primary's replica takes its slots within a few seconds; restarted, the old
    /// primary rejoins as a replica, and CLUSTER FAILOVER gives it its slots back.
    @Test(arguments: RedisVersion.all)
    func killedPrimaryIsReplacedByItsReplica(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let victim = try cluster.primaries[1]
        let replica = try #require(try cluster.replicas(of: victim).first)
        let slot = try cluster.slotMap().slots(ownedBy: victim.id)[0]
        let key = try #require(try cluster.keys(prefix: "kill:\(UUID().uuidString.prefix(8)):", forSlots: [slot])[slot])
        try cluster.addEntries(key, 5)
        #expect(try cluster.ask(victim, "WAIT", "1", "5000").int == 1, "the replica has every entry")

        let killedAt = Date()
        try cluster.kill(victim)
        #expect(victim.pid == nil && !victim.isRunning)
        let promoted = try cluster.waitForPromotion()
        let seconds = Date().timeIntervalSince(killedAt)
        print("redis \(version.name): replica promoted \(String(format: "%.2f", seconds)) s after the kill")
        #expect(promoted === replica)
        #expect(seconds < 10)
        #expect(try cluster.ask(promoted, "ROLE").array?.first?.text == "master")
        #expect(try cluster.primaries.count == 3)
        #expect(try cluster.node(owning: key) === promoted)
        #expect(try cluster.run(key: String(decoding: key, as: UTF8.self), "XLEN", String(decoding: key, as: UTF8.self)).int == 5)

        try cluster.restart(victim)
        try cluster.waitUntilSettled { _, roles in roles[victim.id] == .some(.some(promoted.id)) }
        try cluster.failover(to: victim)
        #expect(try cluster.node(owning: key) === victim)
        #expect(try cluster.replicas(of: victim).map(\.id) == [promoted.id])
    }

    /// `redis-cli --cluster reshard` of 100 slots, run in the background while keys are read
    /// through MOVED/ASK: every stream (with its group and pending entry) is on the new owner
    /// afterwards, CLUSTER COUNTKEYSINSLOT agrees on both sides, and no read failed meanwhile.
    @Test(arguments: RedisVersion.all)
    func reshardMovesStreamsWithTheirGroups(version: RedisVersion) throws {
        let cluster = try RedisCluster(version)
        let primaries = try cluster.primaries
        let (source, target) = (primaries[0], primaries[1])
        let before = try cluster.slotMap()
        // One stream in every slot of the source, whichever slots redis-cli picks.
        let keysBySlot = try cluster.keys(prefix: "reshard:\(UUID().uuidString.prefix(8)):", forSlots: before.slots(ownedBy: source.id))
        let keys = Array(keysBySlot.values)
        try cluster.addEntries(keys, 3)
        try cluster.createGroup("g", on: keys)
        let reads = try cluster.run(keys.map {
            KeyedCommand(key: $0, [Array("XREADGROUP".utf8), Array("GROUP".utf8), Array("g".utf8), Array("c".utf8),
                                   Array("COUNT".utf8), Array("1".utf8), Array("STREAMS".utf8), $0, Array(">".utf8)])
        })
        #expect(reads.allSatisfy { $0.errorMessage == nil })
        let groupsBefore = try groups(cluster, keys)

        // Half the reads go to the source's lowest slots, which redis-cli 7.0 moves first.
        let lowest = before.slots(ownedBy: source.id).prefix(100).compactMap { keysBySlot[$0] }
        let reshard = try cluster.startMovingSlots(100, from: source, to: target)
        var readsDuringReshard = 0
        while reshard.isRunning {
            let sample = (0..<10).flatMap { _ in [keys.randomElement()!, lowest.randomElement()!] }
            let lengths = try cluster.run(sample.map { KeyedCommand(key: $0, [Array("XLEN".utf8), $0]) })
            #expect(lengths.allSatisfy { $0.int == 3 }, "reads follow MOVED/ASK: \(lengths)")
            readsDuringReshard += sample.count
        }
        try reshard.wait()
        try cluster.waitUntilSettled()
        print("redis \(version.name): \(readsDuringReshard) reads during the reshard, \(cluster.redirectsFollowed) redirects followed")

        let after = try cluster.slotMap()
        let moved = before.slots(ownedBy: source.id).filter { after.owner(ofSlot: $0) == target.id }
        #expect(moved.count == 100)
        #expect(after.slots(ownedBy: source.id).count == before.slots(ownedBy: source.id).count - 100)
        for slot in moved {
            #expect(try cluster.countKeys(inSlot: slot, on: target) == 1)
            #expect(try cluster.countKeys(inSlot: slot, on: source) == 0)
            #expect(try cluster.node(owning: keysBySlot[slot]!) === target)
        }
        for slot in after.slots(ownedBy: source.id).prefix(50) {
            #expect(try cluster.countKeys(inSlot: slot, on: source) == 1)
        }
        #expect(try groups(cluster, keys) == groupsBefore, "groups, last-delivered IDs and pending counts moved with the streams")
    }

    /// Every node TLS-only, the cluster bus and replication too (Debian's 7.0 is the binary with
    /// TLS): redis-cli creates and reshards it over TLS, and the repo's client reaches each node
    /// over TLS at its URL.
    @Test func clusterOverTLS() throws {
        let pki = try RedisPKI()
        let cluster = try RedisCluster(.withTLS, tls: pki)
        print("TLS cluster up in \(String(format: "%.2f", cluster.startupSeconds)) s")
        #expect(try cluster.primaries.count == 3)
        #expect(try cluster.replicas.count == 3)
        #expect(cluster.seedURLs.allSatisfy { $0.hasPrefix("rediss://127.0.0.1:") })
        for node in cluster.nodes {
            let tls = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: node.port), tls: TLSClientOptions(caFile: pki.path("ca.pem")))
            #expect(try RedisConnection(endpoint: tls, timeoutSeconds: 2).run("PING").text == "PONG")
            let plain = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: node.port))
            #expect(throws: RedisError.self, "TLS only on \(node)") { try RedisConnection(endpoint: plain, timeoutSeconds: 2).run("PING") }
        }
        let primaries = try cluster.primaries
        let key = "tls:\(UUID().uuidString.prefix(8))"
        try cluster.addEntries(Array(key.utf8), 4)
        let owner = try cluster.node(owning: key)
        let moved = try cluster.moveSlots(10, from: owner, to: #require(primaries.first { $0 !== owner }))
        #expect(moved.count == 10)
        #expect(try cluster.run(key: key, "XLEN", key).int == 4)
    }

    /// Each stream's groups as name, last-delivered-id and pending count.
    private func groups(_ cluster: RedisCluster, _ keys: [[UInt8]]) throws -> [String] {
        try cluster.run(keys.map { KeyedCommand(key: $0, [Array("XINFO".utf8), Array("GROUPS".utf8), $0]) }).map { reply in
            (reply.array ?? []).map { group in
                let fields = group.array ?? []
                var map: [String: String] = [:]
                for i in stride(from: 0, to: fields.count - 1, by: 2) { map[fields[i].text ?? ""] = fields[i + 1].text ?? fields[i + 1].int.map(String.init) }
                return "\(map["name"] ?? "?") \(map["last-delivered-id"] ?? "?") \(map["pending"] ?? "?")"
            }.joined(separator: ",")
        }
    }
}
