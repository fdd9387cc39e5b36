import Foundation

/// A plain HTTP/1.1 client on one kept-alive loopback connection, for latency figures: no
/// process start per request (as with curl), so the time measured is the server's and the
/// loopback's. Reconnects when the server closes. One thread at a time.
final class KeepAliveClient {
    struct Response {
        var status: Int
        var body: Data
        var seconds: Double
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let port: Int
    private var fd: Int32 = -1
    private var pending = Data()

    init(port: Int) { self.port = port }

    deinit { disconnect() }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        pending.removeAll()
    }

    /// GET `path`; the time from sending the request to the last body byte.
    func get(_ path: String, timeout: Double = 10) throws -> Response {
        for attempt in 0..<2 {
            if fd < 0 { try connect(timeout: timeout) }
            let started = Date()
            do {
                try send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept-Encoding: identity\r\n\r\n")
                var response = try readResponse()
                response.seconds = Date().timeIntervalSince(started)
                return response
            } catch let error as ClosedEarly where attempt == 0 {
                _ = error  // a kept-alive connection the server closed meanwhile: once more, afresh
                disconnect()
            }
        }
        throw TestFailure("GET \(path): connection closed twice")
    }

    private struct ClosedEarly: Error {}

    private func connect(timeout: Double) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard ok else {
            disconnect()
            throw TestFailure("connect to 127.0.0.1:\(port) failed")
        }
    }

    private func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw ClosedEarly() }
            sent += n
        }
    }

    /// More bytes into `pending`; throws `ClosedEarly` when the server closed.
    private func receive() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw ClosedEarly() }
        if n < 0 {
            let code = errno
            if code == ECONNRESET { throw ClosedEarly() }
            disconnect()
            throw TestFailure("recv failed: errno \(code)")
        }
        pending.append(contentsOf: buffer[0..<n])
    }

    private func readResponse() throws -> Response {
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while true {
            headerEnd = pending.range(of: separator)
            if headerEnd != nil { break }
            try receive()
        }
        let head = String(decoding: pending[pending.startIndex..<headerEnd!.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(lines[0])") }
        var length = 0
        var closes = false
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0 }
            if lower.hasPrefix("connection:") && lower.contains("close") { closes = true }
        }
        let bodyStart = headerEnd!.upperBound
        while pending.count - (bodyStart - pending.startIndex) < length { try receive() }
        let body = Data(pending[bodyStart..<(bodyStart + length)])
        pending = Data(pending[(bodyStart + length)...])
        if closes { disconnect() }
        return Response(status: status, body: body, seconds: 0)
    }
}

/// The p-th percentile (0...100) of `values`, nearest rank.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank - 1, 0), sorted.count - 1)]
}
