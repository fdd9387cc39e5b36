/// A Redis server's version (`redis_version` of `INFO server`), for the figures whose
/// correctness depends on it.
public struct ServerVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// From the text of an `INFO` reply (any section that holds `redis_version:`), or nil.
    public init?(info: String) {
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("redis_version:") }) else {
            return nil
        }
        let parts = line.dropFirst("redis_version:".count).split(separator: ".").map { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        self.init(major, minor, parts.count > 2 ? parts[2] ?? 0 : 0)
    }

    public static func < (a: ServerVersion, b: ServerVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// When Redis' own `lag` of a group whose last-delivered-id lies strictly inside the stream
/// (after the first entry, before the last) may be used. Everywhere else the exporter decides
/// the lag from the entries and never needs Redis' figure. Inside, Redis' lag is
/// `entries-added - entries-read`, which is only as right as `entries-read`, and that counter is
/// corrupted, for good, by histories the reply does not show (docs/figures.md names them):
///
/// - 7.0 to 8.1: a read across an `XDEL`ed entry (redis#13337, fixed by #13338 in 7.4.2/8.0),
///   a trim that overtook the group (#13473, #13957; fully fixed by #13958 in 8.2), an emptied
///   stream; before 7.4 also a replica or an AOF reload (reads propagated without
///   entries-read, fixed by #12898 in 7.4.0).
/// - 8.2 and later: only internal-use arguments (`XGROUP … ENTRIESREAD`, `XCLAIM … LASTID`,
///   `XSETID … MAXDELETEDID`) or a counter carried over from an older server.
public enum LagTrust {
    /// True when Redis' figure is used as the lag; false when the entries are counted instead.
    public static func trusts(redisLag: Int, length: Int, entriesAdded: Int?, version: ServerVersion?) -> Bool {
        // Strictly inside: the first entry is delivered and the last one is not. Compared, not
        // a range: `1...(length - 1)` trapped for a length of 1, which a write landing between
        // XINFO and XREVRANGE can give next to a later last entry (found by the fuzzer).
        guard redisLag >= 1, redisLag < length, let version else { return false }
        if version >= ServerVersion(8, 2) { return true }
        // 7.4 to 8.1: right while nothing was ever deleted or trimmed (and so no counter could
        // be corrupted by it): every entry ever added is still there.
        return version >= ServerVersion(7, 4) && entriesAdded == length
    }
}
