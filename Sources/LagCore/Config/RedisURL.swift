import Foundation
public import RedisProtocol

/// Parses `--redis.url`: `redis://[user[:password]@]host:port/db`, `rediss://…` (TLS) or
/// `unix:///path?db=N`.
public enum RedisURL {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(ParseError) -> RedisEndpoint {
        if text.hasPrefix("unix://") {
            return try parseUnix(String(text.dropFirst("unix://".count)))
        }
        let tls = text.hasPrefix("rediss://")
        guard tls || text.hasPrefix("redis://") else {
            throw ParseError(description: "must start with redis://, rediss:// or unix://")
        }
        var rest = Substring(text.dropFirst(tls ? "rediss://".count : "redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                username = decode(userinfo[..<colon])
                password = decode(userinfo[userinfo.index(after: colon)...])
            } else {
                username = decode(userinfo)  // `[user[:password]@]`: a lone token is the user
            }
            if username?.isEmpty == true { username = nil }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw ParseError(description: "database '\(dbText)' is not a number")
                }
                database = db
            }
        }
        let (host, port) = try hostPort(rest)
        return RedisEndpoint(address: .tcp(host: host, port: port), username: username,
                             password: password, database: database, tls: tls ? TLSClientOptions() : nil)
    }

    private static func parseUnix(_ rest: String) throws(ParseError) -> RedisEndpoint {
        let parts = rest.split(separator: "?", maxSplits: 1)
        guard let path = parts.first, path.hasPrefix("/") else {
            throw ParseError(description: "unix:// needs an absolute socket path")
        }
        var database = 0
        var password: String?
        var username: String?
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                // Empty pieces kept: `?=x` is a parameter with no name, not a missing one (a
                // bare `=` split to nothing and indexing it trapped; found by the fuzzer).
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = kv.count == 2 ? decode(kv[1]) : ""
                switch kv[0] {
                case "db":
                    guard let db = Int(value), db >= 0 else {
                        throw ParseError(description: "db '\(value)' is not a number")
                    }
                    database = db
                case "password": password = value
                case "username", "user": username = value
                default: throw ParseError(description: "unknown query parameter '\(kv[0])'")
                }
            }
        }
        return RedisEndpoint(address: .unix(path: String(path)), username: username,
                             password: password, database: database)
    }

    static func hostPort(_ text: Substring) throws(ParseError) -> (String, Int) {
        guard let (host, portText) = HostPort.split(text) else {
            throw ParseError(description: "the host is not host, [v6] or host:port")
        }
        guard let port = Int(portText ?? "6379"), (1...65535).contains(port) else {
            // The text is not echoed: in a URL that lost its '@host' it is the password.
            throw ParseError(description: "the port is not a number from 1 to 65535")
        }
        return (host.isEmpty ? "localhost" : String(host), port)
    }

    private static func decode(_ s: Substring) -> String {
        String(s).removingPercentEncoding ?? String(s)
    }
}
