import RedisProtocol
import Testing
@testable import LagCore

@Suite("RedisURL.parse")
struct RedisURLTests {
    typealias E = RedisEndpoint

    @Test("accepted URLs", arguments: [
        ("redis://localhost:6380/0", E(address: .tcp(host: "localhost", port: 6380))),
        ("redis://redis.internal:6379/5", E(address: .tcp(host: "redis.internal", port: 6379), database: 5)),
        ("redis://10.1.2.3", E(address: .tcp(host: "10.1.2.3", port: 6379))),
        ("redis://10.1.2.3/", E(address: .tcp(host: "10.1.2.3", port: 6379))),
        ("redis://alice:s3cret@cache:6379/2",
         E(address: .tcp(host: "cache", port: 6379), username: "alice", password: "s3cret", database: 2)),
        ("redis://:s3cret@cache:6379", E(address: .tcp(host: "cache", port: 6379), password: "s3cret")),
        ("redis://al%69ce:p%40ss%3Aw%2Frd%25@cache:6379/1",
         E(address: .tcp(host: "cache", port: 6379), username: "alice", password: "p@ss:w/rd%", database: 1)),
        ("redis://:a@b@cache:6379/0", E(address: .tcp(host: "cache", port: 6379), password: "a@b")),
        ("redis://alice@cache:6379", E(address: .tcp(host: "cache", port: 6379), username: "alice")),
        ("redis://[::1]:6380", E(address: .tcp(host: "::1", port: 6380))),
        ("redis://[::1]:6380/4", E(address: .tcp(host: "::1", port: 6380), database: 4)),
        ("redis://[::1]/3", E(address: .tcp(host: "::1", port: 6379), database: 3)),
        ("redis://bob:pw@[fe80::1]:7000/15",
         E(address: .tcp(host: "fe80::1", port: 7000), username: "bob", password: "pw", database: 15)),
        ("unix:///var/run/redis/redis.sock?db=3", E(address: .unix(path: "/var/run/redis/redis.sock"), database: 3)),
        ("unix:///tmp/r.sock", E(address: .unix(path: "/tmp/r.sock"))),
        ("rediss://user:pw@redis.example.com:6380/2",
         E(address: .tcp(host: "redis.example.com", port: 6380), username: "user", password: "pw", database: 2,
           tls: TLSClientOptions())),
        ("rediss://[::1]", E(address: .tcp(host: "::1", port: 6379), tls: TLSClientOptions())),
        ("unix:///tmp/r.sock?password=p%40ss&db=2&user=carol",
         E(address: .unix(path: "/tmp/r.sock"), username: "carol", password: "p@ss", database: 2)),
    ])
    func accepted(text: String, expected: RedisEndpoint) throws {
        #expect(try RedisURL.parse(text) == expected)
    }

    @Test("refused URLs, with one clear line each", arguments: [
        ("redis://host:abc/0", "the port is not a number from 1 to 65535"),
        ("redis://host:0", "the port is not a number from 1 to 65535"),
        ("redis://host:65536/0", "the port is not a number from 1 to 65535"),
        ("redis://host:-1", "the port is not a number from 1 to 65535"),
        ("redis://host:6379/x", "database 'x' is not a number"),
        ("redis://host:6379/-1", "database '-1' is not a number"),
        ("unix:///tmp/r.sock?db=x", "db 'x' is not a number"),
        ("unix://tmp/r.sock", "unix:// needs an absolute socket path"),
        ("unix:///tmp/r.sock?tls=1", "unknown query parameter 'tls'"),
        ("redis://[::1:6380", "the host is not host, [v6] or host:port"),
        ("http://host:6379", "must start with redis://, rediss:// or unix://"),
        ("localhost:6379", "must start with redis://, rediss:// or unix://"),
    ])
    func refused(text: String, message: String) {
        #expect(throws: RedisURL.ParseError(description: message)) { try RedisURL.parse(text) }
    }

    /// Found by the `redis-url` fuzz target (Tests/Fuzz/regressions/redis-url): a query
    /// parameter with no name trapped the parser (an index out of range) instead of refusing it.
    @Test("a unix:// query parameter without a name is refused, not a crash", arguments: [
        "unix:///tmp/r.sock?=", "unix:///tmp/r.sock?=x", "unix:///tmp/r.sock?db=1&=&password=pw",
    ])
    func namelessQueryParameter(text: String) {
        #expect(throws: RedisURL.ParseError(description: "unknown query parameter ''")) { try RedisURL.parse(text) }
    }

    @Test("no error description holds the password", arguments: [
        "redis://user:hunter2@host:abc/0",
        "redis://user:hunter2@host:6379/x",
        "redis://:hunter2@[::1/0",
        "redis://:hunter2@[::1]x/0",
        "rediss://user:hunter2@host:65536",
        "redis://user:hunter2@host:99999",
        "redis://user:hunter2@host:6379/0?timeout=1",
        "unix:///tmp/r.sock?password=hunter2&db=x",
        "unix:///tmp/r.sock?password=hunter2&tls=1",
        "unix://r.sock?password=hunter2",
    ])
    func noPasswordInErrors(text: String) {
        let error = #expect(throws: RedisURL.ParseError.self) { try RedisURL.parse(text) }
        #expect(error?.description.contains("hunter2") == false, "\(error?.description ?? "")")
    }

    /// `redis://user:password/0` (the `@host` forgotten) must not echo the password as a port.
    @Test("a URL that forgot '@host' does not echo its password")
    func forgottenHost() {
        let error = #expect(throws: RedisURL.ParseError.self) { try RedisURL.parse("redis://default:hunter2/0") }
        #expect(error?.description.contains("hunter2") == false, "\(error?.description ?? "")")
    }
}
