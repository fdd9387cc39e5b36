/// Where and how to reach one Redis server.
public struct RedisEndpoint: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }
    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int
    /// Set for `rediss://`: the connection is TLS, verified as these options say.
    public var tls: TLSClientOptions?

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0,
                tls: TLSClientOptions? = nil) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// `host:port` or the socket path: safe to log (no credentials).
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix://\(path)"
        }
    }

    /// The same server options (credentials, database, TLS) at another address: what Sentinel
    /// gives for a master.
    public func at(host: String, port: Int) -> RedisEndpoint {
        var copy = self
        copy.address = .tcp(host: host, port: port)
        return copy
    }
}

/// How a `rediss://` connection is verified: `--redis.tls.*`. File paths only; the files are
/// read once at start (a bad one is a bad flag).
public struct TLSClientOptions: Sendable, Equatable {
    /// PEM bundle of the CAs that may sign the server's certificate; nil means the system's.
    public var caFile: String?
    /// Client certificate chain and key, for mutual TLS (both or neither).
    public var certFile: String?
    public var keyFile: String?
    /// The name checked in the certificate and sent as SNI; nil means the URL's host.
    public var serverName: String?
    /// No verification at all (a warning is logged at every start).
    public var insecureSkipVerify: Bool

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                serverName: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// Why a connection or a round trip failed. Command errors are `RedisReply.error`, not this.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connect, auth, io, timeout, proto = "protocol", tls
        /// Sentinel: no sentinel answered with a master, or the server is not the master.
        case sentinel
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "\(kind.rawValue): \(message)" }
}
