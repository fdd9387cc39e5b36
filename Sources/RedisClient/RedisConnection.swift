internal import CHiredis
import Foundation
public import RedisProtocol

/// A blocking Redis connection over a socket or a TLS session: commands encoded in RESP and
/// pipelined (a long batch in pieces kept ahead of the replies read), replies parsed by
/// hiredis' reader into flat `ReplyBatch`es, one reply at a time (`RedisReply` trees only where
/// asked for). Not thread-safe: one owner thread.
public final class RedisConnection: RedisPipeline {
    private let channel: ByteChannel
    private let reader: FlatReplyReader
    /// The storage each reply is moved into; reused while no view holds it.
    private var batch = ReplyBatch()
    /// Set after an I/O or protocol error: the reply stream is out of step after one.
    public private(set) var isBroken = false
    public let endpoint: RedisEndpoint
    private let timeoutSeconds: Double
    /// Nothing has been received yet: a refusal at this point may be a TLS/plain mismatch.
    private var received = false
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// The part of `buffer` received but not yet fed to the reader.
    private var unfed = 0..<0
    /// Bytes fed to the reader at a time. hiredis 0.14 moves what it holds unread to the front
    /// of its buffer after every reply once 1 KB of it is consumed: fed 64 KB at once, that is
    /// a memmove of tens of KB per reply.
    private static let feedSize = 4096

    /// Connects (over TLS for a `tls` endpoint), sets the I/O timeout, authenticates and
    /// selects the database. `tls` is the shared client setup; without one, an endpoint's TLS
    /// options are loaded for this connection alone.
    public init(endpoint: RedisEndpoint, timeoutSeconds: Double, tls: RedisTLS? = nil) throws {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        channel = try Self.open(endpoint, timeoutSeconds: timeoutSeconds, tls: tls)
        guard let reader = FlatReplyReader() else { throw RedisError(.connect, "cannot allocate a reply reader") }
        self.reader = reader
        try handshake()
    }

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
            if let e = reply.errorMessage { throw RedisError(.auth, "authentication failed: \(e)") }
        }
        if endpoint.database != 0 {
            let reply = try pipeline([[Array("SELECT".utf8), Array(String(endpoint.database).utf8)]])[0]
            if let e = reply.errorMessage { throw RedisError(.connect, "SELECT \(endpoint.database): \(e)") }
        }
    }

    /// Sends the commands pipelined and reads one reply per command, in order.
    /// Throws only for connection-level failures; a failing command yields `.error`.
    public func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        try pipeline(commands) { _, reply in replies.append(reply.materialize()) }
        return replies
    }

    /// Sends the commands pipelined and hands each reply to `body` as soon as it is whole, in
    /// order, as a flat view; only one reply is held at a time.
    public func pipeline(_ commands: [[[UInt8]]], each body: (Int, ReplyView) -> Void) throws {
        try pipeline(commands, each: { index, reply, _ in body(index, reply) }, then: { _, _ in })
    }

    /// Follow-up commands are sent once this many are queued, while the first batch's replies
    /// are still read: Redis answers them meanwhile instead of after the whole first batch.
    private static let followUpFlush = 256
    /// The first batch goes out this many commands at a time, the next piece as soon as fewer
    /// than this many sent are unanswered: Redis always has commands to work on, and works on
    /// them while the exporter reads the replies before them (one write of the whole batch
    /// made Redis answer all of it before the first reply was read, and left it idle while the
    /// exporter read). Neither side ever waits with nothing in flight: still one round trip.
    private static let firstBatchPiece = 1024

    /// The first batch in pieces kept ahead of the replies read, follow-ups in pieces as they
    /// are queued (writes of a few KB, which Redis reads while it still sends earlier replies:
    /// Redis never stops reading a client whose replies wait, so neither side blocks the
    /// other), and what is still queued once the first batch is read. Replies come in the
    /// order the commands went out: each goes to `body` or `then` by the piece it answers, so
    /// follow-up replies may come before later replies of the first batch.
    public func pipeline<Commands: RandomAccessCollection<[[UInt8]]>>(
        _ commands: Commands, each body: (Int, ReplyView, inout FollowUps) -> Void, then: (Int, ReplyView) -> Void
    ) throws where Commands.Index == Int {
        guard !isBroken else { throw RedisError(.io, "connection is broken") }
        do {
            var followUps = FollowUps()
            var sentFirst = 0, sentFollowUps = 0, readFirst = 0, readFollowUps = 0
            // The pieces sent and not yet read, in wire order: which batch, and the index (in
            // that batch) after its last command.
            var inFlight: [(followUp: Bool, end: Int)] = []
            var next = 0
            // The largest piece encoded so far, to size the next one's buffer.
            var encoded = 0
            func sendFirst() throws {
                let end = min(sentFirst + Self.firstBatchPiece, commands.count)
                // Each command made once (a lazy collection makes it at every read) and encoded
                // at once, read by index: copied into an array through a slice first, every
                // command cost a generic iterator step and a metadata lookup (this code is not
                // specialised for the caller's collection), 5% of a poll's CPU (perf).
                var out: [UInt8] = []
                out.reserveCapacity(encoded)
                for i in sentFirst..<end { Self.append(commands[commands.startIndex + i], to: &out) }
                encoded = max(encoded, out.count)
                try channel.send(out)
                sentFirst = end
                inFlight.append((false, end))
            }
            func sendFollowUps() throws {
                try channel.send(Self.encode(followUps.commands[sentFollowUps...]))
                sentFollowUps = followUps.count
                inFlight.append((true, sentFollowUps))
            }
            while true {
                // Nothing in flight: the next piece of the first batch, or the end (follow-ups are
                // all sent by the time the first batch's last reply is read, below).
                if next == inFlight.count {
                    guard sentFirst < commands.count else { break }
                    try sendFirst()
                }
                let piece = inFlight[next]
                try nextReply()
                if piece.followUp {
                    then(readFollowUps, batch.root)
                    readFollowUps += 1
                    if readFollowUps == piece.end { next += 1 }
                    continue
                }
                body(readFirst, batch.root, &followUps)
                readFirst += 1
                if readFirst == piece.end { next += 1 }
                if sentFirst < commands.count, sentFirst - readFirst < Self.firstBatchPiece { try sendFirst() }
                if followUps.count - sentFollowUps >= Self.followUpFlush
                    || (readFirst == commands.count && followUps.count > sentFollowUps) {
                    try sendFollowUps()
                }
            }
        } catch {
            isBroken = true
            throw error
        }
    }

    /// Convenience for one command of text arguments.
    public func command(_ args: [String]) throws -> RedisReply {
        try pipeline([args.map { Array($0.utf8) }])[0]
    }

    /// Reads the next whole reply into `batch`: from what the reader holds, else after feeding
    /// it more bytes (received ones first, a few KB at a time).
    private func nextReply() throws(RedisError) {
        while true {
            if try reader.next(into: &batch) { return }
            if unfed.isEmpty {
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
                unfed = 0..<count
            }
            let piece = unfed.prefix(Self.feedSize)
            unfed = piece.upperBound..<unfed.upperBound
            let fed = buffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[piece])) }
            if !fed { throw RedisError(.proto, FlatReplyReader.text(of: reader.reader)) }
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

    /// The RESP encoding of every command, one buffer for one write: what hiredis'
    /// `redisFormatCommandArgv` writes (`*argc`, then `$len` and the bytes of each argument).
    static func encode(_ commands: some Collection<[[UInt8]]>) -> [UInt8] {
        var size = 0
        for args in commands {
            size += 16
            for arg in args { size += arg.count + 24 }
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for args in commands { append(args, to: &out) }
        return out
    }

    /// One command's RESP encoding, appended to `out`.
    private static func append(_ args: [[UInt8]], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        appendDecimal(args.count, to: &out)
        for arg in args {
            out.append(UInt8(ascii: "$"))
            appendDecimal(arg.count, to: &out)
            out.append(contentsOf: arg)
            out.append(13)
            out.append(10)
        }
    }

    /// A count's digits then CRLF.
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
        out.append(13)
        out.append(10)
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
}

/// The hiredis version this binary was built against.
public let hiredisVersion = "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
