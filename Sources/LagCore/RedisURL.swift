import Foundation
public import RedisProtocol

/// Parses `--redis.url`: `redis://[user[:password]@]host:port/db` or `unix:///path?db=N`.
public enum RedisURL {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(ParseError) -> RedisEndpoint {
        if text.hasPrefix("rediss://") {
            throw ParseError(description: "rediss:// (TLS) is not supported: hiredis 0.14 has no TLS; use a local TLS tunnel such as stunnel and point redis:// at it")
        }
        if text.hasPrefix("unix://") {
            return try parseUnix(String(text.dropFirst("unix://".count)))
        }
        guard text.hasPrefix("redis://") else {
            throw ParseError(description: "must start with redis:// or unix://")
        }
        var rest = Substring(text.dropFirst("redis://".count))
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
                             password: password, database: database)
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
                let kv = pair.split(separator: "=", maxSplits: 1)
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
        var host = Substring("localhost")
        var portText: Substring = "6379"
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ParseError(description: "unclosed '[' in host") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw ParseError(description: "unexpected '\(after)' after host")
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else if !text.isEmpty {
            host = text
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            // The text is not echoed: in a URL that lost its '@host' it is the password.
            throw ParseError(description: "the port is not a number from 1 to 65535")
        }
        if host.isEmpty { host = "localhost" }
        return (String(host), port)
    }

    private static func decode(_ s: Substring) -> String {
        String(s).removingPercentEncoding ?? String(s)
    }
}
