import Foundation
import RedisClient
import RedisProtocol

/// One command for whichever primary owns `key` (`args` is the whole command, key included).
struct KeyedCommand: Sendable {
    var key: [UInt8]
    var args: [[UInt8]]

    init(key: [UInt8], _ args: [[UInt8]]) {
        self.key = key
        self.args = args
    }

    init(key: String, _ args: String...) {
        self.init(key: Array(key.utf8), args.map { Array($0.utf8) })
    }
}

/// Keys and where they live. Slots always come from the cluster itself (`CLUSTER KEYSLOT`,
/// `CLUSTER SLOTS`), never from a CRC16 of our own: the harness must not share a bug with the
/// exporter's routing.
extension RedisCluster {
    /// `CLUSTER KEYSLOT` of every key, in one round trip to a live node.
    func slots(of keys: [[UInt8]]) throws -> [Int] {
        let node = try require(liveNodes.first, "a live node")
        return try pipeline(on: node, keys.map { [Array("CLUSTER".utf8), Array("KEYSLOT".utf8), $0] }).map { reply in
            Int(try require(reply.int, "CLUSTER KEYSLOT: \(reply)"))
        }
    }

    func slot(of key: [UInt8]) throws -> Int { try slots(of: [key])[0] }

    /// The primary that owns `key`'s slot now.
    func node(owning key: [UInt8]) throws -> ClusterNode { try primary(forSlot: slot(of: key)) }
    func node(owning key: String) throws -> ClusterNode { try node(owning: Array(key.utf8)) }

    /// Sends every command to the primary owning its key, one pipeline per primary, replies in
    /// the commands' order. A `MOVED`, `ASK` (a slot mid-migration) or `TRYAGAIN` reply is
    /// followed for that command, so this works while a reshard runs. Error replies are returned.
    func run(_ commands: [KeyedCommand]) throws -> [RedisReply] {
        let slots = try slots(of: commands.map(\.key))
        let map = try slotMap()
        var byOwner: [String: [Int]] = [:]
        for (index, slot) in slots.enumerated() {
            let owner = try require(map.owner(ofSlot: slot), "an owner of slot \(slot)")
            byOwner[owner, default: []].append(index)
        }
        var replies = [RedisReply](repeating: .null, count: commands.count)
        for (owner, indices) in byOwner {
            let answers = try pipeline(on: node(id: owner), indices.map { commands[$0].args })
            for (index, reply) in zip(indices, answers) { replies[index] = reply }
        }
        for index in replies.indices where replies[index].errorMessage != nil {
            replies[index] = try followRedirects(commands[index], replies[index])
        }
        return replies
    }

    /// One command to the primary owning `key`; throws on an error reply.
    @discardableResult
    func run(key: String, _ args: String...) throws -> RedisReply {
        let reply = try run([KeyedCommand(key: Array(key.utf8), args.map { Array($0.utf8) })])[0]
        if let error = reply.errorMessage { throw TestFailure("\(args.joined(separator: " ")): \(error)") }
        return reply
    }

    private func followRedirects(_ command: KeyedCommand, _ first: RedisReply) throws -> RedisReply {
        var reply = first
        for _ in 0..<20 {
            guard let error = reply.errorMessage else { return reply }
            let words = error.split(separator: " ")
            switch words.first ?? "" {
            case "MOVED" where words.count >= 3:
                redirectsFollowed += 1
                reply = try pipeline(on: node(port: Self.port(words[2])), [command.args])[0]
            case "ASK" where words.count >= 3:
                redirectsFollowed += 1
                reply = try pipeline(on: node(port: Self.port(words[2])), [[Array("ASKING".utf8)], command.args])[1]
            case "TRYAGAIN", "CLUSTERDOWN":
                usleep(50_000)
                reply = try pipeline(on: node(owning: command.key), [command.args])[0]
            default:
                return reply
            }
        }
        return reply
    }

    private static func port(_ address: Substring) throws -> Int {
        try require(address.split(separator: ":").last.flatMap { Int($0) }, "a port in \(address)")
    }

    /// Adds `count` entries to each stream on its owner; throws on any error reply.
    func addEntries(_ keys: [[UInt8]], _ count: Int) throws {
        let commands = keys.flatMap { key in
            (0..<count).map { i in KeyedCommand(key: key, [Array("XADD".utf8), key, Array("*".utf8), Array("n".utf8), Array("\(i)".utf8)]) }
        }
        try checked(run(commands), "XADD")
    }

    @discardableResult
    func addEntries(_ key: [UInt8], _ count: Int) throws -> [String] {
        let commands = (0..<count).map { i in
            KeyedCommand(key: key, [Array("XADD".utf8), key, Array("*".utf8), Array("n".utf8), Array("\(i)".utf8)])
        }
        return try checked(run(commands), "XADD").map { $0.text ?? "" }
    }

    /// `XGROUP CREATE key group id` on each stream's owner.
    func createGroup(_ group: String, on keys: [[UInt8]], at id: String = "0") throws {
        try checked(run(keys.map { KeyedCommand(key: $0, [Array("XGROUP".utf8), Array("CREATE".utf8), $0, Array(group.utf8), Array(id.utf8)]) }),
                    "XGROUP CREATE")
    }

    @discardableResult
    private func checked(_ replies: [RedisReply], _ what: String) throws -> [RedisReply] {
        if let error = replies.lazy.compactMap(\.errorMessage).first { throw TestFailure("\(what): \(error)") }
        return replies
    }

    /// A key for each of `slots`: `prefix` + a number, the numbers tried in order and placed by
    /// `CLUSTER KEYSLOT` (round trips of 4096 names; every slot of one primary of three takes about 150k).
    func keys(prefix: String, forSlots slots: some Sequence<Int>, tryingAtMost limit: Int = 1_000_000) throws -> [Int: [UInt8]] {
        var wanted = Set(slots)
        var found: [Int: [UInt8]] = [:]
        var next = 0
        while !wanted.isEmpty {
            guard next < limit else { throw TestFailure("no key with prefix \(prefix) for \(wanted.count) slots") }
            let names = (next..<next + 4096).map { Array("\(prefix)\($0)".utf8) }
            next += names.count
            let placed = try self.slots(of: names)
            for (name, slot) in zip(names, placed) where wanted.remove(slot) != nil {
                found[slot] = name
            }
        }
        return found
    }

    /// `CLUSTER COUNTKEYSINSLOT` as `node` answers it.
    func countKeys(inSlot slot: Int, on node: ClusterNode) throws -> Int {
        Int(try require(ask(node, "CLUSTER", "COUNTKEYSINSLOT", "\(slot)").int, "COUNTKEYSINSLOT \(slot)"))
    }
}
