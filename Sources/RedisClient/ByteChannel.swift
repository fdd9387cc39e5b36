internal import CHiredis
import Foundation
import RedisProtocol

/// Moves the bytes of one connection; hiredis encodes and decodes them. A plain socket (TCP or
/// unix) or a TLS session over one.
protocol ByteChannel: AnyObject {
    func send(_ bytes: [UInt8]) throws(RedisError)
    /// What has arrived (at least one byte, waiting up to the timeout) at the start of
    /// `buffer`; 0 when the server closed the connection.
    func receive(into buffer: inout [UInt8]) throws(RedisError) -> Int
}

/// A connected socket with the connection's I/O timeout set; closed on deinit.
final class SocketChannel: ByteChannel {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    static func connect(_ address: RedisEndpoint.Address, timeoutSeconds: Double) throws(RedisError) -> SocketChannel {
        let ms = Int32(max(1, min(timeoutSeconds * 1000, Double(Int32.max))))
        var err = [CChar](repeating: 0, count: 256)
        let fd: Int32 = switch address {
        case .tcp(let host, let port): slx_connect_tcp(host, Int32(port), ms, &err, err.count)
        case .unix(let path): slx_connect_unix(path, ms, &err, err.count)
        }
        guard fd >= 0 else {
            throw RedisError(Int(fd) == Int(SLX_TIMEOUT) ? .timeout : .connect, Self.text(err))
        }
        return SocketChannel(fd: fd)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws(RedisError) {
        var err = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBytes { slx_send_all(fd, $0.baseAddress, $0.count, &err, err.count) }
        if rc != 0 { throw RedisError(Int(rc) == Int(SLX_TIMEOUT) ? .timeout : .io, Self.text(err)) }
    }

    func receive(into buffer: inout [UInt8]) throws(RedisError) -> Int {
        var err = [CChar](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { slx_receive(fd, $0.baseAddress, $0.count, &err, err.count) }
        if n < 0 { throw RedisError(n == Int(SLX_TIMEOUT) ? .timeout : .io, Self.text(err)) }
        return n
    }

    /// Whether the server at the other end answers a TLS handshake on a new connection (to
    /// explain a refusal of plain text).
    static func speaksTLS(_ address: RedisEndpoint.Address, timeoutSeconds: Double) -> Bool {
        guard case .tcp = address, let probe = try? connect(address, timeoutSeconds: min(timeoutSeconds, 1)) else { return false }
        return slx_tls_probe(probe.fd, Int32(min(timeoutSeconds, 1) * 1000)) == 1
    }

    static func text(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
