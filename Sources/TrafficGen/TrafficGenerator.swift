import Dispatch
import Foundation
import RedisClient
import RedisProtocol
import RedisTopology

/// The tick loop. hiredis blocks, so everything runs on the calling thread over one connection,
/// and each tick is a single pipelined round trip (XADDs, the previous tick's XACKs,
/// XREADGROUPs): ten round trips a second however high the rates.
final class TrafficGenerator {
    private enum Op {
        case add(Int)
        case ack(Int)
        case read(Int)
    }

    /// Why the loop ended: the process exit status.
    enum Outcome: Int32 {
        case stopped = 0
        case setupFailed = 1
    }

    private let config: TrafficConfig
    private let stop: StopFlag
    private let wave: ConsumeWave
    private let group: [UInt8]
    private let consumers: [[UInt8]]
    private let payload: [UInt8]
    private let maxLength: [UInt8]
    private var streams: [StreamTraffic]
    private var connection: RedisConnection?
    private var needsGroups = true
    private var backoff = Backoff()

    init(config: TrafficConfig, stop: StopFlag) {
        self.config = config
        self.stop = stop
        wave = ConsumeWave(base: config.consumeRate, period: config.consumePeriod)
        group = Array(config.group.utf8)
        consumers = config.consumers.map { Array($0.utf8) }
        // One payload for every entry: content does not matter, and generating it per entry
        // would cost more than the XADD at benchmark rates.
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        payload = (0..<config.payloadBytes).map { _ in letters.randomElement()! }
        maxLength = Array(String(config.maxLength).utf8)
        streams = config.streams.enumerated().map { index, name in
            StreamTraffic(name: name, phase: Double(index) / Double(config.streams.count),
                          stalls: config.stalled.contains(name))
        }
    }

    func run() -> Outcome {
        let stalled = config.stalled.isEmpty ? "" : ", \(config.stalled.sorted().joined(separator: ",")) stall after \(Self.format(config.stallAfter))s"
        Console.line("\(config.redis.description) db \(config.redis.database), group \(config.group): "
            + "\(Self.format(config.produceRate))/s in, ~\(Self.format(config.consumeRate))/s out per stream "
            + "(\(config.consumers.count) consumers, ack \(Self.format(config.ackRatio)))\(stalled)")
        let start = Self.now()
        let tick = 1 / config.tickRate
        var lastTick = start
        var nextTick = start
        var nextStatus = start + 1
        var retryAt = start
        var outcome = Outcome.stopped

        let deadline = config.duration.map { start + $0 }
        while !stop.isSet {
            var now = Self.now()
            // The last tick is cut at the deadline, so --duration 10s adds exactly 10 s of entries.
            let last = deadline.map { now >= $0 } ?? false
            if last, let deadline { now = deadline }
            if connection == nil, !last, now >= retryAt {
                // At most one tick is owed after a gap, and the first connection owes the time
                // since start, so --duration 10s at 1/s adds 10 entries, not 9.
                if connect() { lastTick = max(lastTick, now - tick) } else { retryAt = Self.now() + backoff.next() }
            }
            if let connection {
                do {
                    if needsGroups {
                        if let problem = try createGroups(on: connection) {
                            Console.line(problem)
                            outcome = .setupFailed
                            break
                        }
                        needsGroups = false
                    }
                    // Capped so a long stall (a slow Redis) does not come back as a burst.
                    try runTick(on: connection, elapsed: now - start, seconds: min(now - lastTick, 1))
                    lastTick = now
                } catch {
                    Console.line("lost redis \(config.redis.description): \(error); reconnecting")
                    self.connection = nil
                    retryAt = Self.now() + backoff.next()
                }
            }
            if now >= nextStatus {
                report(elapsed: now - start)
                nextStatus = nextStatus + 1 > now ? nextStatus + 1 : now + 1
            }
            if last { break }
            nextTick += tick
            let pause = nextTick - Self.now()
            if pause > 0 { Thread.sleep(forTimeInterval: pause) } else { nextTick = Self.now() }
        }

        flushAcks()
        let totals = streams.map { s in
            "\(s.name) added=\(s.total.added) read=\(s.total.read) acked=\(s.total.acked)"
        }
        let why = stop.signal.map { $0 == SIGTERM ? "SIGTERM" : $0 == SIGINT ? "SIGINT" : "signal \($0)" }
        Console.line("stopped after \(Self.format(Self.now() - start))s"
            + (why.map { " (\($0))" } ?? "") + ": " + totals.joined(separator: " | "))
        return outcome
    }

    /// One attempt; failures are reported and left to the backoff.
    private func connect() -> Bool {
        do {
            // The URL's server, or the master the sentinels name now (asked on every connect).
            let source = RedisSource(config: config.target, tls: nil)
            connection = try source.connected().connection
            Console.line("connected to \(source.current.description)")
            backoff.reset()
            // Redis may have restarted empty: the groups are made again on every connection.
            needsGroups = true
            return true
        } catch {
            Console.line("cannot reach redis \(config.redis.description): \(error); retrying")
            return false
        }
    }

    /// `XGROUP CREATE … 0 MKSTREAM` for every stream; an existing group is fine. Returns the
    /// first other error, which no retry would fix (e.g. WRONGTYPE).
    private func createGroups(on connection: RedisConnection) throws -> String? {
        let commands = streams.map { s in
            [Array("XGROUP".utf8), Array("CREATE".utf8), s.key, group, Array("0".utf8), Array("MKSTREAM".utf8)]
        }
        let replies = try connection.pipeline(commands)
        for (s, reply) in zip(streams, replies) {
            if let error = reply.errorMessage, !error.hasPrefix("BUSYGROUP") {
                return "XGROUP CREATE \(s.name) \(config.group): \(error)"
            }
        }
        return nil
    }

    private func runTick(on connection: RedisConnection, elapsed: Double, seconds: Double) throws {
        var commands: [[[UInt8]]] = []
        var ops: [Op] = []
        for i in streams.indices {
            for _ in 0..<streams[i].produce.take(config.produceRate * seconds) {
                commands.append(addCommand(i))
                ops.append(.add(i))
            }
            if !streams[i].toAck.isEmpty {
                commands.append([Array("XACK".utf8), streams[i].key, group] + streams[i].toAck)
                ops.append(.ack(i))
            }
            if streams[i].stalls, elapsed >= config.stallAfter {
                streams[i].consume.reset()
                continue
            }
            let due = streams[i].consume.take(wave.rate(at: elapsed, phase: streams[i].phase) * seconds)
            // Without the guard COUNT 0 would mean "everything", not nothing.
            guard due > 0 else { continue }
            for (consumer, share) in zip(consumers, streams[i].shares(of: due, consumers: consumers.count)) where share > 0 {
                commands.append([
                    Array("XREADGROUP".utf8), Array("GROUP".utf8), group, consumer,
                    Array("COUNT".utf8), Array(String(share).utf8),
                    Array("STREAMS".utf8), streams[i].key, Array(">".utf8),
                ])
                ops.append(.read(i))
            }
        }
        guard !commands.isEmpty else { return }
        let replies = try connection.pipeline(commands)
        // Only now are the XACKs known to have reached Redis; the reads below queue the next ones.
        for i in streams.indices { streams[i].toAck.removeAll(keepingCapacity: true) }
        for (op, reply) in zip(ops, replies) {
            switch op {
            case .add(let i):
                if let error = reply.errorMessage { fail(i, "XADD", error) } else { streams[i].count { $0.added += 1 } }
            case .ack(let i):
                if let error = reply.errorMessage { fail(i, "XACK", error) } else {
                    let acked = Int(reply.int ?? 0)
                    streams[i].count { $0.acked += acked }
                }
            case .read(let i):
                if let error = reply.errorMessage {
                    // The stream was deleted (or Redis flushed) under us: make the group again.
                    if error.hasPrefix("NOGROUP") { needsGroups = true }
                    fail(i, "XREADGROUP", error)
                    continue
                }
                let ids = Self.entryIDs(reply)
                streams[i].count { $0.read += ids.count }
                let acking = streams[i].ack.take(config.ackRatio * Double(ids.count))
                streams[i].toAck.append(contentsOf: ids.prefix(acking))
            }
        }
    }

    private func addCommand(_ i: Int) -> [[UInt8]] {
        var args: [[UInt8]] = [Array("XADD".utf8), streams[i].key]
        if config.maxLength > 0 { args += [Array("MAXLEN".utf8), Array("~".utf8), maxLength] }
        args += [Array("*".utf8), Array("seq".utf8), Array(String(streams[i].sequence).utf8),
                 Array("payload".utf8), payload]
        streams[i].sequence += 1
        return args
    }

    private func fail(_ i: Int, _ command: String, _ error: String) {
        streams[i].count { $0.errors += 1 }
        streams[i].lastError = "\(command) \(streams[i].name): \(error)"
    }

    /// The IDs in an `XREADGROUP` reply: `[[stream, [[id, fields], …]]]`, or null when nothing new.
    static func entryIDs(_ reply: RedisReply) -> [[UInt8]] {
        var ids: [[UInt8]] = []
        for stream in reply.array ?? [] {
            guard let pair = stream.array, pair.count == 2 else { continue }
            for entry in pair[1].array ?? [] {
                if let id = entry.array?.first?.bytes { ids.append(id) }
            }
        }
        return ids
    }

    /// Best effort on the way out, so a clean stop leaves no more pending entries than it must.
    private func flushAcks() {
        guard let connection else { return }
        let commands = streams.filter { !$0.toAck.isEmpty }.map { s in
            [Array("XACK".utf8), s.key, group] + s.toAck
        }
        guard !commands.isEmpty else { return }
        if let replies = try? connection.pipeline(commands) {
            var index = 0
            for i in streams.indices where !streams[i].toAck.isEmpty {
                let acked = Int(replies[index].int ?? 0)
                streams[i].count { $0.acked += acked }
                streams[i].toAck.removeAll()
                index += 1
            }
        }
    }

    /// The once-a-second status line, then the window starts again.
    private func report(elapsed: Double) {
        var parts: [String] = []
        for i in streams.indices {
            let s = streams[i]
            var part = "\(s.name) added=\(s.window.added) read=\(s.window.read) acked=\(s.window.acked)"
            if s.stalls, elapsed >= config.stallAfter { part += " stalled" }
            if s.window.errors > 0 { part += " errors=\(s.window.errors)" }
            parts.append(part)
        }
        let idle = streams.allSatisfy { $0.window.added + $0.window.read + $0.window.acked + $0.window.errors == 0 }
        let time = "t=\(Int(elapsed.rounded()))s"
        if connection == nil, idle {
            Console.line("\(time) redis=down, retrying")
        } else {
            Console.line("\(time)\(connection == nil ? " redis=down" : "") " + parts.joined(separator: " | "))
        }
        for i in streams.indices {
            if streams[i].window.errors > 0, let error = streams[i].lastError { Console.line(error) }
            streams[i].window = .init()
        }
    }

    private static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// Up to one decimal, without a trailing ".0".
    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
