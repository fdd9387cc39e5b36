public import RedisProtocol

/// Finds stream keys matching `--streams.pattern` with `SCAN ... TYPE stream`, all patterns'
/// cursors advanced together, one pipelined round trip per page.
public enum Discovery {
    public struct Result: Sendable {
        /// Sorted, without duplicates, capped.
        public var streams: [Name]
        /// Matches left out because of the cap (a key SCAN returned twice may count twice).
        public var dropped: Int
        public var roundTrips: Int
    }

    /// `limit` is how many discovered streams may be kept (`--streams.max` minus the fixed ones).
    /// Names in `excluding` (the fixed streams) are monitored anyway: they are neither kept nor
    /// counted, so a fixed stream that matches a pattern takes one place, not two.
    /// Keys matching an `exclude` glob (`--streams.exclude`) are skipped, never counted.
    public static func discover(patterns: [String], excluding fixed: Set<Name> = [], exclude: [[UInt8]] = [], limit: Int,
                                scanCount: Int = 1000, via redis: some RedisPipeline) throws -> Result {
        var found = Set<Name>()
        var cursors = Dictionary(uniqueKeysWithValues: patterns.map { ($0, "0") })
        var roundTrips = 0
        // Memory stays bounded by 2 x limit: past it, only the smallest `limit` names are kept.
        var discarded = 0
        let keep = max(limit, 0)
        func trim() {
            let smallest = found.sorted().prefix(keep)
            discarded += found.count - smallest.count
            found = Set(smallest)
        }
        while !cursors.isEmpty {
            let active = cursors.sorted { $0.key < $1.key }
            var refusal: ReplyError?
            try redis.pipeline(active.map { Commands.scan(cursor: $0.value, pattern: $0.key, count: scanCount) }) { n, reply in
                guard refusal == nil else { return }
                let pattern = active[n].key
                // A user who may not SCAN would otherwise see no stream at all: that is an
                // error of the poll (`noperm`), not an empty transport.
                if let message = reply.errorMessage, message.hasPrefix("NOPERM") {
                    refusal = ReplyError(.noPermission, "SCAN: \(message)")
                    return
                }
                var parts = reply.elements
                guard reply.count == 2, let next = parts.next()?.text, let keys = parts.next(), keys.isArray else {
                    cursors[pattern] = nil  // an error reply (e.g. TYPE unsupported): stop this pattern
                    return
                }
                for key in keys.elements {
                    guard let bytes = key.bytes else { continue }
                    if !exclude.isEmpty, exclude.contains(where: { RedisGlob.matches($0, bytes) }) { continue }
                    let name = Name(bytes)
                    if !fixed.contains(name) { found.insert(name) }
                }
                if found.count >= 2 * max(keep, 1) { trim() }
                cursors[pattern] = next == "0" ? nil : next
            }
            roundTrips += 1
            if let refusal { throw refusal }
        }
        trim()
        let kept = found.sorted()
        return Result(streams: kept, dropped: discarded, roundTrips: roundTrips)
    }
}
