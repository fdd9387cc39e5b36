internal import CHiredis
import Foundation
public import RedisProtocol

/// A blocking Redis connection over a socket or a TLS session: commands encoded by hiredis'
/// formatter, pipelined in one write, replies decoded by hiredis' reader into `RedisReply` and
/// freed at once. Not thread-safe: one owner thread.
public final class RedisConnection: RedisPipeline {
    private let channel: ByteChannel
    private let reader: UnsafeMutablePointer<redisReader>
    /// Set after an I/O or protocol error: the reply stream is out of step after one.
    public private(set) var isBroken = false
    public let endpoint: RedisEndpoint
    private let timeoutSeconds: Double
    /// Nothing has been received yet: a refusal at this point may be a TLS/plain mismatch.
    private var received = false
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Connects (over TLS for a `tls` endpoint), sets the I/O timeout, authenticates and
    /// selects the database. `tls` is the shared client setup; without one, an endpoint's TLS
    /// options are loaded for this connection alone.
    public init(endpoint: RedisEndpoint, timeoutSeconds: Double, tls: RedisTLS? = nil) throws {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        channel = try Self.open(endpoint, timeoutSeconds: timeoutSeconds, tls: tls)
        guard let reader = redisReaderCreate() else { throw RedisError(.connect, "cannot allocate a reply reader") }
        self.reader = reader
        try handshake()
    }

    deinit { redisReaderFree(reader) }

    /// The socket, with a TLS session over it for a `tls` endpoint.
    private static func open(_ endpoint: RedisEndpoint, timeoutSeconds: Double, tls: RedisTLS?) throws(RedisError) -> ByteChannel {
        let socket = try SocketChannel.connect(endpoint.address, timeoutSeconds: timeoutSeconds)
        guard let options = endpoint.tls else { return socket }
        guard case .tcp(let host, let port) = endpoint.address else { throw RedisError(.tls, "TLS needs a TCP address") }
        let setup: RedisTLS
        if let tls {
            setup = tls
        } else {
            do { setup = try RedisTLS(options) } catch { throw RedisError(.tls, error.description) }
        }
        do {
            return try TLSChannel(over: socket, host: host, tls: setup, timeoutSeconds: timeoutSeconds)
        } catch {
            // No TLS answer at all: say so plainly when a plain-text Redis is listening there.
            let refusedByPeer = error.kind == .tls && !error.message.hasPrefix("TLS handshake failed")
            if !refusedByPeer, answersInPlainText(host: host, port: port, timeoutSeconds: timeoutSeconds) {
                throw RedisError(.tls, "the server at \(endpoint.description) does not speak TLS (a plain-text Redis: use redis://)")
            }
            throw error
        }
    }

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
        do {
            try channel.send(Self.encode(commands))
            var replies: [RedisReply] = []
            replies.reserveCapacity(commands.count)
            for _ in commands { replies.append(try nextReply()) }
            return replies
        } catch {
            isBroken = true
            throw error
        }
    }

    /// Convenience for one command of text arguments.
    public func command(_ args: [String]) throws -> RedisReply {
        try pipeline([args.map { Array($0.utf8) }])[0]
    }

    /// The next whole reply: from what the reader holds, else after feeding it more bytes.
    private func nextReply() throws(RedisError) -> RedisReply {
        while true {
            var raw: UnsafeMutableRawPointer?
            if redisReaderGetReply(reader, &raw) != REDIS_OK {
                throw RedisError(.proto, Self.text(of: reader))
            }
            if let raw {
                defer { freeReplyObject(raw) }
                return Self.decode(raw.assumingMemoryBound(to: redisReply.self))
            }
            let count: Int
            do {
                count = try channel.receive(into: &buffer)
            } catch where !received && error.kind == .io {
                throw refusal(error)
            }
            if count == 0 {
                throw received ? RedisError(.io, "connection closed by the server") : refusal(nil)
            }
            if !received, !(channel is TLSChannel), count >= 2, buffer[0] == 0x15 || buffer[0] == 0x16, buffer[1] == 0x03 {
                throw RedisError(.tls, "the server at \(endpoint.description) answered in TLS: use rediss://")
            }
            received = true
            let fed = buffer.withUnsafeBytes { bytes in
                redisReaderFeed(reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), count)
            }
            if fed != REDIS_OK { throw RedisError(.proto, Self.text(of: reader)) }
        }
    }

    /// The server dropped the connection before its first answer. A TLS-only server does that
    /// to plain text: when a TLS handshake works there, say so (reason `tls`).
    private func refusal(_ error: RedisError?) -> RedisError {
        if !(channel is TLSChannel), SocketChannel.speaksTLS(endpoint.address, timeoutSeconds: timeoutSeconds) {
            return RedisError(.tls, "the server at \(endpoint.description) speaks TLS only: use rediss://")
        }
        return error ?? RedisError(.io, "connection closed by the server before its first answer")
    }

    /// The RESP encoding of every command, one buffer for one write.
    private static func encode(_ commands: [[[UInt8]]]) throws(RedisError) -> [UInt8] {
        var out: [UInt8] = []
        for args in commands {
            var formatted: UnsafeMutablePointer<CChar>?
            let length: Int32 = args.withContiguousPointers { argv, lengths in
                redisFormatCommandArgv(&formatted, Int32(args.count), argv, lengths)
            }
            guard length >= 0, let formatted else { throw RedisError(.proto, "cannot encode a command") }
            formatted.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                out.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
            }
            redisFreeCommand(formatted)
        }
        return out
    }

    /// Whether a plain-text Redis answers `PING` at host:port (to explain a failed handshake).
    private static func answersInPlainText(host: String, port: Int, timeoutSeconds: Double) -> Bool {
        guard let socket = try? SocketChannel.connect(.tcp(host: host, port: port), timeoutSeconds: min(timeoutSeconds, 1)) else {
            return false
        }
        guard (try? socket.send(Array("PING\r\n".utf8))) != nil else { return false }
        var answer = [UInt8](repeating: 0, count: 64)
        let count = (try? socket.receive(into: &answer)) ?? 0
        return count > 0 && (answer[0] == UInt8(ascii: "+") || answer[0] == UInt8(ascii: "-"))
    }

    private static func text(of reader: UnsafeMutablePointer<redisReader>) -> String {
        let message = withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return message.isEmpty ? "unreadable reply" : message
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

private extension Array where Element == [UInt8] {
    /// argv/argvlen for hiredis' formatter: pointers into one contiguous copy of the arguments.
    func withContiguousPointers<R>(_ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        var blob: [UInt8] = []
        blob.reserveCapacity(reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for arg in self {
            offsets.append(blob.count)
            lengths.append(arg.count)
            blob.append(contentsOf: arg)
        }
        blob.append(0)
        return blob.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                let base = chars.baseAddress!
                var argv: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base + $0) }
                return argv.withUnsafeMutableBufferPointer { argvBuffer in
                    lengths.withUnsafeBufferPointer { body(argvBuffer.baseAddress!, $0.baseAddress!) }
                }
            }
        }
    }
}

/// The hiredis version this binary was built against.
public let hiredisVersion = "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
