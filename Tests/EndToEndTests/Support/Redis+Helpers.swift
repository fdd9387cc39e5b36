import Foundation
import LagCore
import RedisClient
import RedisProtocol

/// Direct questions to Redis, so that every expected value comes from Redis itself.
extension RedisConnection {
    @discardableResult
    func run(_ args: String...) throws -> RedisReply {
        let reply = try command(args)
        if let error = reply.errorMessage { throw TestFailure("\(args.joined(separator: " ")): \(error)") }
        return reply
    }

    @discardableResult
    func runBytes(_ args: [[UInt8]]) throws -> RedisReply {
        let reply = try pipeline([args])[0]
        if let error = reply.errorMessage { throw TestFailure("command failed: \(error)") }
        return reply
    }

    /// Adds `count` entries in one pipeline; returns their IDs.
    @discardableResult
    func addEntries(_ key: [UInt8], _ count: Int) throws -> [String] {
        let commands = (0..<count).map { i in [Array("XADD".utf8), key, Array("*".utf8), Array("n".utf8), Array("\(i)".utf8)] }
        return try pipeline(commands).map { $0.text ?? "" }
    }

    func addEntries(_ key: String, _ count: Int) throws { try addEntries(Array(key.utf8), count) }

    /// `XINFO GROUPS` as dictionaries keyed by group name.
    func groups(_ key: [UInt8]) throws -> [String: [String: RedisReply]] {
        let reply = try runBytes([Array("XINFO".utf8), Array("GROUPS".utf8), key])
        var out: [String: [String: RedisReply]] = [:]
        for group in reply.array ?? [] {
            let items = group.array ?? []
            var map: [String: RedisReply] = [:]
            for i in stride(from: 0, to: items.count - 1, by: 2) { map[items[i].text ?? ""] = items[i + 1] }
            out[map["name"]?.text ?? ""] = map
        }
        return out
    }

    func groups(_ key: String) throws -> [String: [String: RedisReply]] { try groups(Array(key.utf8)) }

    /// Undelivered entries counted the slow, obvious way: every ID after last-delivered-id.
    func undelivered(_ key: [UInt8], group: String) throws -> [StreamID] {
        guard let ldiText = try groups(key)[group]?["last-delivered-id"]?.text,
              let ldi = StreamID(ldiText) else { throw TestFailure("no group \(group)") }
        let all = try runBytes([Array("XRANGE".utf8), key, Array("-".utf8), Array("+".utf8)])
        return (all.array ?? []).compactMap { $0.array?.first?.text.flatMap { StreamID($0) } }.filter { $0 > ldi }
    }

    func undelivered(_ key: String, group: String) throws -> [StreamID] { try undelivered(Array(key.utf8), group: group) }

    /// Pending count of a group from `XPENDING key group` (summary form).
    func pendingCount(_ key: String, group: String) throws -> Int {
        Int(try run("XPENDING", key, group).array?.first?.int ?? -1)
    }

    /// Every stream key matching `pattern`, as Redis' own SCAN finds them.
    func scanStreams(_ pattern: String) throws -> [String] {
        var cursor = "0", keys = Set<String>()
        repeat {
            let page = try run("SCAN", cursor, "MATCH", pattern, "COUNT", "100", "TYPE", "stream").array ?? []
            cursor = page.first?.text ?? "0"
            keys.formUnion((page.last?.array ?? []).compactMap(\.text))
        } while cursor != "0"
        return Array(keys)
    }

    func length(_ key: String) throws -> Int { Int(try run("XLEN", key).int ?? -1) }

    func redisTimeMs() throws -> Int64 { try LagCore.redisTimeMs(of: run("TIME")) }

    /// The server's `process_id` (`INFO server`).
    func serverPID() throws -> Int32? {
        let info = try run("INFO", "server").text ?? ""
        let line = info.split(separator: "\r\n").first { $0.hasPrefix("process_id:") } ?? ""
        return Int32(line.dropFirst("process_id:".count))
    }

    var serverMajorMinor: (Int, Int) {
        let info = (try? run("INFO", "server").text) ?? ""
        let line = info.split(separator: "\r\n").first { $0.hasPrefix("redis_version:") } ?? ""
        let parts = line.dropFirst("redis_version:".count).split(separator: ".").compactMap { Int($0) }
        return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }
}
