import Foundation
import RedisProtocol
import Testing

/// Decodes the raw RESP2 bytes of the captured fixtures into `RedisReply`, the way hiredis
/// does: `$-1` and `*-1` are `.null`, an error reply loses its leading `-`.
enum RESP {
    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    /// Decodes exactly one reply; trailing bytes are an error.
    static func decode(_ bytes: [UInt8]) throws -> RedisReply {
        var position = 0
        let reply = try decode(bytes, &position)
        guard position == bytes.count else {
            throw DecodeError(description: "\(bytes.count - position) bytes after the reply")
        }
        return reply
    }

    private static func decode(_ bytes: [UInt8], _ p: inout Int) throws -> RedisReply {
        guard p < bytes.count else { throw DecodeError(description: "truncated reply") }
        let kind = bytes[p]
        let line = try readLine(bytes, &p)
        switch kind {
        case UInt8(ascii: "+"): return .status(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try number(line))
        case UInt8(ascii: "$"):
            let n = try number(line)
            if n < 0 { return .null }
            let end = p + Int(n)
            guard end + 2 <= bytes.count, bytes[end] == 13, bytes[end + 1] == 10 else {
                throw DecodeError(description: "bad bulk string")
            }
            defer { p = end + 2 }
            return .string(Array(bytes[p..<end]))
        case UInt8(ascii: "*"):
            let n = try number(line)
            if n < 0 { return .null }
            var items: [RedisReply] = []
            for _ in 0..<n { items.append(try decode(bytes, &p)) }
            return .array(items)
        default:
            throw DecodeError(description: "unknown RESP2 type byte \(kind)")
        }
    }

    /// The bytes after the type byte up to CRLF; moves `p` past the CRLF.
    private static func readLine(_ bytes: [UInt8], _ p: inout Int) throws -> ArraySlice<UInt8> {
        var i = p + 1
        while i + 1 < bytes.count, !(bytes[i] == 13 && bytes[i + 1] == 10) { i += 1 }
        guard i + 1 < bytes.count else { throw DecodeError(description: "line without CRLF") }
        defer { p = i + 2 }
        return bytes[(p + 1)..<i]
    }

    private static func number(_ line: ArraySlice<UInt8>) throws -> Int64 {
        guard let n = Int64(String(decoding: line, as: UTF8.self)) else {
            throw DecodeError(description: "bad number \(String(decoding: line, as: UTF8.self))")
        }
        return n
    }

    /// Encodes a reply back to RESP2 (nulls as `$-1`), to prove the decoder loses nothing.
    static func encode(_ reply: RedisReply) -> [UInt8] {
        func line(_ prefix: String, _ body: String) -> [UInt8] { Array("\(prefix)\(body)\r\n".utf8) }
        switch reply {
        case .status(let s): return line("+", s)
        case .error(let e): return line("-", e)
        case .integer(let i): return line(":", String(i))
        case .null: return line("$", "-1")
        case .string(let b): return line("$", String(b.count)) + b + [13, 10]
        case .array(let items): return line("*", String(items.count)) + items.flatMap(encode)
        }
    }
}

/// The captured replies (`Golden/replies/redis-<version>/<name>.resp`) and the golden files.
enum Fixtures {
    /// The Redis versions the fixtures were captured from (see Golden/replies/capture.py).
    static let versions = ["6.2.5", "7.0", "8.2.3"]

    /// `Tests/LagCoreTests/Golden` in the source tree, for `UPDATE_GOLDEN=1`.
    static let sourceGolden = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")

    /// The copy of `Golden` in the test bundle (the source tree when the bundle has none).
    static let golden: URL = {
        if let url = Bundle.module.url(forResource: "Golden", withExtension: nil) { return url }
        return sourceGolden
    }()

    static func rawReply(_ version: String, _ name: String) throws -> [UInt8] {
        let url = golden.appendingPathComponent("replies/redis-\(version)/\(name).resp")
        return Array(try Data(contentsOf: url))
    }

    static func reply(_ version: String, _ name: String) throws -> RedisReply {
        try RESP.decode(rawReply(version, name))
    }

    /// The text of an error fixture as hiredis hands it over (without the `-`).
    static func errorMessage(_ version: String, _ name: String) throws -> String {
        guard case .error(let message) = try reply(version, name) else {
            throw RESP.DecodeError(description: "\(name) is not an error reply")
        }
        return message
    }
}

/// Compares `actual` with `Golden/<name>` byte for byte (String equality would let Unicode
/// canonical equivalence hide a difference), or rewrites the file with `UPDATE_GOLDEN=1`.
func expectGolden(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: Fixtures.sourceGolden.appendingPathComponent(name))
        return
    }
    let expected = Array(try Data(contentsOf: Fixtures.golden.appendingPathComponent(name)))
    let got = Array(actual.utf8)
    if got != expected {
        // Name the first line that differs, so that the failure is readable.
        let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let n = zip(e, a).enumerated().first { Array($0.element.0.utf8) != Array($0.element.1.utf8) }?.offset
            ?? min(e.count, a.count)
        let want = n < e.count ? String(e[n]) : "<end>"
        let have = n < a.count ? String(a[n]) : "<end>"
        Issue.record("\(name) differs at line \(n + 1):\n  golden: \(want)\n  actual: \(have)",
                     sourceLocation: sourceLocation)
    }
}

func b(_ text: String) -> [UInt8] { Array(text.utf8) }
