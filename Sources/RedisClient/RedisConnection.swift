internal import CHiredis
import Foundation
public import RedisProtocol

/// A blocking hiredis connection: connect with timeouts, pipelined argv commands, replies
/// decoded into `RedisReply` and freed at once. Not thread-safe: one owner thread.
public final class RedisConnection: RedisPipeline {
    private var context: UnsafeMutablePointer<redisContext>
    /// Set after an I/O or protocol error: hiredis contexts cannot be reused after one.
    public private(set) var isBroken = false
    public let endpoint: RedisEndpoint

    /// Connects, sets socket timeouts, authenticates and selects the database.
    public init(endpoint: RedisEndpoint, timeoutSeconds: Double) throws {
        self.endpoint = endpoint
        let seconds = max(timeoutSeconds, 0.001)
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        let ctx: UnsafeMutablePointer<redisContext>?
        switch endpoint.address {
        case .tcp(let host, let port):
            ctx = redisConnectWithTimeout(host, Int32(port), tv)
        case .unix(let path):
            ctx = redisConnectUnixWithTimeout(path, tv)
        }
        guard let ctx else { throw RedisError(.connect, "cannot allocate a redis context") }
        if ctx.pointee.err != 0 {
            let message = Self.errorString(ctx)
            redisFree(ctx)
            throw RedisError(message.contains("timed out") ? .timeout : .connect, message)
        }
        context = ctx
        if redisSetTimeout(ctx, tv) != 0 {
            redisFree(ctx)
            throw RedisError(.connect, "cannot set socket timeout")
        }
        // Keep-alive is a TCP option: on a unix socket hiredis fails with EOPNOTSUPP and leaves
        // the context's error set, which would fail every later command.
        if case .tcp = endpoint.address { _ = redisEnableKeepAlive(ctx) }
        try handshake()
    }

    deinit { redisFree(context) }

    private func handshake() throws {
        if let password = endpoint.password {
            var args: [[UInt8]] = [Array("AUTH".utf8)]
            if let user = endpoint.username, !user.isEmpty { args.append(Array(user.utf8)) }
            args.append(Array(password.utf8))
            let reply = try pipeline([args])[0]
            // The reply text never holds the password; pass Redis' words on.
            if let e = reply.errorMessage { throw RedisError(.auth, e) }
        }
        if endpoint.database != 0 {
            let reply = try pipeline([[Array("SELECT".utf8), Array(String(endpoint.database).utf8)]])[0]
            if let e = reply.errorMessage { throw RedisError(.connect, "SELECT \(endpoint.database): \(e)") }
        }
    }

    /// Sends every command in one write and reads one reply per command, in order.
    /// Throws only for connection-level failures; a failing command yields `.error`.
    public func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        guard !isBroken else { throw RedisError(.io, "connection is broken") }
        for args in commands { try append(args) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(context, &raw) != REDIS_OK || raw == nil {
                isBroken = true
                let message = Self.errorString(context)
                let timedOut = message.contains("temporarily unavailable") || message.contains("timed out")
                throw RedisError(timedOut ? .timeout : .io, message.isEmpty ? "no reply" : message)
            }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.decode(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Convenience for one command of text arguments.
    public func command(_ args: [String]) throws -> RedisReply {
        try pipeline([args.map { Array($0.utf8) }])[0]
    }

    private func append(_ args: [[UInt8]]) throws {
        var blob: [UInt8] = []
        blob.reserveCapacity(args.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for arg in args {
            offsets.append(blob.count)
            lengths.append(arg.count)
            blob.append(contentsOf: arg)
        }
        blob.append(0)
        let status: Int32 = blob.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                let base = chars.baseAddress!
                var argv: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base + $0) }
                return argv.withUnsafeMutableBufferPointer { argvBuffer in
                    lengths.withUnsafeBufferPointer { lenBuffer in
                        redisAppendCommandArgv(context, Int32(args.count), argvBuffer.baseAddress!, lenBuffer.baseAddress!)
                    }
                }
            }
        }
        if status != REDIS_OK {
            isBroken = true
            throw RedisError(.io, Self.errorString(context))
        }
    }

    private static func errorString(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func decode(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let reply = r.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .string(bytes(reply.str, reply.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(reply.integer)
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(reply.elements)
            for i in 0..<reply.elements {
                if let child = reply.element[i] { items.append(decode(child)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }
}

/// The hiredis version this binary was built against.
public let hiredisVersion = "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
