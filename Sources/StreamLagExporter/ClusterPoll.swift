import Dispatch
import Foundation
import LagCore
import Logging
import RedisClient
import RedisProtocol
import RedisTopology

/// One poll of a Redis Cluster: each stream read on the primary that serves its slot, every
/// primary at once (a thread each: the poll takes about as long as the largest shard's), the
/// shares merged into one snapshot. A `MOVED` reads the map again and a key that moved is read
/// again, on its new primary, within the same poll (an `ASK`: on the node it is moving to,
/// after `ASKING`). A primary that does not answer is down for this poll: its streams keep the
/// figures of the last poll that read them, marked stale, and the other shards report as usual.
struct ClusterPoll {
    struct Outcome {
        var snapshot: Snapshot
        var stats: PollStats
        var nodes: [ClusterNode: NodeOutcome]
        /// The map should be read again before the next poll (a node was down or keys moved).
        var refreshMap: Bool
        /// Streams shown stale because no primary serves their slot.
        var unservedStale: Int
    }

    struct NodeOutcome {
        var seconds: Double
        var error: Error?
        var staleStreams = 0
    }

    /// What a node's thread needs and gives back; each thread touches only its own box.
    private final class Share: @unchecked Sendable {
        let node: ClusterNode
        let names: [Name]
        let connection: RedisConnection?
        let version: ServerVersion?
        var result: Result<Collector.Part, Error>
        var seconds = 0.0

        init(node: ClusterNode, names: [Name], connection: Result<RedisConnection, Error>, version: ServerVersion?) {
            self.node = node
            self.names = names
            self.version = version
            switch connection {
            case .success(let c):
                self.connection = c
                result = .failure(RedisError(.io, "not polled"))
            case .failure(let e):
                self.connection = nil
                result = .failure(e)
            }
        }
    }

    private final class CollectorBox: @unchecked Sendable {
        let collector: Collector
        init(_ collector: Collector) { self.collector = collector }
    }

    let cluster: ClusterSource
    let collector: Collector

    /// `names` are every monitored stream (sorted, unique); `previous` the last snapshot, whose
    /// streams stand in, stale, for those of a node that does not answer.
    func poll(names: [Name], fixed: Set<Name>, previous: Snapshot?) throws -> Outcome {
        if cluster.map == nil { try cluster.refresh() }
        guard let map = cluster.map else { throw RedisError(.connect, "no cluster map") }
        var stats = PollStats()
        var byNode: [ClusterNode: [Name]] = Dictionary(uniqueKeysWithValues: map.primaries.map { ($0, []) })
        var unserved: [Name] = []
        for name in names {
            if let node = map.primary(for: name.bytes) { byNode[node, default: []].append(name) } else { unserved.append(name) }
        }
        let shares = byNode.sorted { $0.key < $1.key }.map { node, names in
            let connection = Result { try cluster.connection(to: node) }
            return Share(node: node, names: names, connection: connection, version: cluster.versions[node])
        }
        collectConcurrently(shares, fixed: fixed)

        var parts: [Collector.Part] = []
        var nodes: [ClusterNode: NodeOutcome] = [:]
        var refreshMap = false
        var redirected: [(name: Name, message: String, from: ClusterNode)] = []
        // Only needed when a node or key did not answer: built then, once.
        var previousIndex: [Name: StreamState]?
        func previousStream(_ name: Name) -> StreamState? {
            if previousIndex == nil {
                previousIndex = Dictionary((previous?.streams ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            }
            return previousIndex?[name]
        }
        for share in shares {
            switch share.result {
            case .success(let part):
                parts.append(part)
                redirected += part.redirected.map { ($0.name, $0.message, share.node) }
                nodes[share.node] = NodeOutcome(seconds: share.seconds)
            case .failure(let error):
                cluster.drop(share.node)
                refreshMap = true
                let stale = share.names.compactMap { previousStream($0) }
                    + share.names.filter { fixed.contains($0) && previousStream($0) == nil }
                        .map { StreamState(name: $0, presence: .unreadable) }
                parts.append(.stale(stale))
                nodes[share.node] = NodeOutcome(seconds: share.seconds, error: error, staleStreams: stale.count)
            }
        }
        if nodes.values.allSatisfy({ $0.error != nil }), let first = shares.first, case .failure(let error) = first.result {
            throw error  // no primary answered: the poll failed, as with one Redis down
        }
        // Keys that moved are read where they are now; those of a cluster that serves no key
        // for the moment (CLUSTERDOWN while a failover is under way) keep their last figures.
        let moved = redirected.filter { ReplyError.from(redisError: $0.message).kind == .redirected }
        let down = redirected.filter { ReplyError.from(redisError: $0.message).kind != .redirected }
        if !moved.isEmpty {
            refreshMap = true
            parts += try readMoved(moved, fixed: fixed, &stats)
        }
        if !down.isEmpty {
            refreshMap = true
            for item in down { stats.skip(.unavailable, "stream \(item.name.display): \(item.message)") }
            parts.append(.stale(down.map { previousStream($0.name) ?? StreamState(name: $0.name, presence: .unreadable) }
                .filter { $0.presence != .unreadable || fixed.contains($0.name) }))
        }
        // A slot no primary serves (its primary died with no replica to take over): the
        // streams there keep their last figures, stale, as those of a node that is down.
        var unservedStale = 0
        if !unserved.isEmpty {
            refreshMap = true
            let stale = unserved.compactMap { name -> StreamState? in
                stats.skip("unserved_slot", "stream \(name.display): no primary serves slot \(HashSlot.of(name.bytes))")
                return previousStream(name) ?? (fixed.contains(name) ? StreamState(name: name, presence: .unreadable) : nil)
            }
            unservedStale = stale.count
            parts.append(.stale(stale))
        }
        let collectedAt = Date().timeIntervalSince1970
        let (snapshot, merged) = collector.finish(consume parts, collectedAt: collectedAt)
        stats.merge(merged)
        return Outcome(snapshot: snapshot, stats: stats, nodes: nodes, refreshMap: refreshMap, unservedStale: unservedStale)
    }

    /// Each share on a thread of its own; returns when all are done.
    private func collectConcurrently(_ shares: [Share], fixed: Set<Name>) {
        let group = DispatchGroup()
        let box = CollectorBox(collector)
        for share in shares {
            guard share.connection != nil else { continue }
            group.enter()
            let thread = Thread {
                let started = ContinuousClock.now
                share.result = Result {
                    guard let connection = share.connection else { throw RedisError(.io, "no connection") }
                    return try box.collector.collect(share.names, fixed: fixed, via: connection, version: share.version)
                }
                let d = ContinuousClock.now - started
                share.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                group.leave()
            }
            thread.name = "poll \(share.node)"
            thread.start()
        }
        group.wait()
    }

    /// Keys a node said it does not serve, read where the (new) map or the `ASK` says.
    private func readMoved(_ redirected: [(name: Name, message: String, from: ClusterNode)], fixed: Set<Name>,
                           _ stats: inout PollStats) throws -> [Collector.Part] {
        let map = try? cluster.refresh()
        var byTarget: [ClusterNode: (asking: Bool, names: [Name])] = [:]
        for (name, message, from) in redirected {
            let redirect = ClusterRedirect(message, askedHost: from.host)
            let asking = redirect?.kind == .ask
            guard let node = asking ? redirect?.node : (map?.primary(for: name.bytes) ?? redirect?.node) else {
                stats.skip(.redirected, "stream \(name.display): \(message)")
                continue
            }
            byTarget[node, default: (asking, [])].names.append(name)
            if asking { byTarget[node]?.asking = true }
        }
        var parts: [Collector.Part] = []
        for (node, target) in byTarget.sorted(by: { $0.key < $1.key }) {
            do {
                let connection = try cluster.connection(to: node)
                let names = target.names.sorted()
                var part = target.asking
                    ? try collector.collect(names, fixed: fixed, via: AskingPipeline(connection), version: cluster.versions[node])
                    : try collector.collect(names, fixed: fixed, via: connection, version: cluster.versions[node])
                for (name, message) in part.redirected {  // moved again: counted, read next poll
                    part.stats.skip(.redirected, "stream \(name.display): \(message)")
                }
                parts.append(part)
            } catch {
                cluster.drop(node)
                for name in target.names { stats.skip(.redirected, "stream \(name.display): \(node) did not answer: \(error)") }
            }
        }
        return parts
    }
}
