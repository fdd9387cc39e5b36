import Logging
import Synchronization
import Testing
@testable import LagCore

@Suite("LineLogHandler")
struct LogHandlerTests {
    static let fields: [(String, String)] = [
        ("ts", "2026-11-29T06:00:00.123Z"), ("level", "info"), ("msg", "poll done"),
        ("redis.stream", "events:chat"), ("empty", ""), ("quote", "say \"hi\""), ("eq", "a=b"),
        ("nl", "line1\nline2"), ("tab", "a\tb"), ("ctl", "\u{1}"), ("uni", "café ✓"), ("bs", "C:\\path"),
    ]

    @Test("logfmt: bare when safe, JSON-quoted otherwise")
    func logfmt() {
        #expect(LineLogHandler.render(Self.fields, .logfmt) == #"ts=2026-11-29T06:00:00.123Z level=info msg="poll done" redis.stream=events:chat empty="" quote="say \"hi\"" eq="a=b" nl="line1\nline2" tab="a\tb" ctl="\u0001" uni="café ✓" bs=C:\path"#)
    }

    @Test("json: one object, keys in order, RFC 8259 escapes")
    func json() {
        #expect(LineLogHandler.render(Self.fields, .json) == #"{"ts":"2026-11-29T06:00:00.123Z","level":"info","msg":"poll done","redis.stream":"events:chat","empty":"","quote":"say \"hi\"","eq":"a=b","nl":"line1\nline2","tab":"a\tb","ctl":"\u0001","uni":"café ✓","bs":"C:\\path"}"#)
    }

    /// A space, `=` or `"` followed by a combining mark is one Character in Swift; the value must
    /// still be quoted, or one field splits into two (stream names are user data).
    @Test("logfmt quotes a space, = or quote even when a combining mark follows", arguments: [
        ("a \u{301}b", "\"a \u{301}b\""), ("k=\u{301}v", "\"k=\u{301}v\""), ("a\"\u{301}b", "\"a\\\"\u{301}b\""),
    ])
    func logfmtCombiningMarks(value: String, rendered: String) {
        #expect(LineLogHandler.render([("stream", value)], .logfmt) == "stream=" + rendered)
    }

    @Test("level names and --log.level values")
    func levels() {
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
        #expect(levels.map(LineLogHandler.levelName) == ["trace", "debug", "info", "info", "warn", "error", "error"])
        #expect(["debug", "info", "warn", "error", "warning", "trace", ""].map(Logger.Level.init(flag:))
            == [.debug, .info, .warning, .error, nil, nil, nil])
    }

    @Test("a logged event: one line, metadata sorted and merged, below-level dropped")
    func logged() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "test") { label in
            LineLogHandler(label: label, level: .info, format: .logfmt, sink: { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "redis.endpoint"] = "localhost:6380"
        logger.debug("not shown")
        logger.warning("redis down", metadata: ["error": "connect: refused", "attempt": "3"])
        let got = lines.withLock { $0 }
        #expect(got.count == 1)
        let line = try #require(got.first)
        // `ts=` then a 24-character RFC 3339 timestamp, then the rest.
        #expect(line.hasPrefix("ts=20"))
        #expect(String(line.dropFirst(3 + 24)) == #" level=warn msg="redis down" attempt=3 error="connect: refused" redis.endpoint=localhost:6380"# + "\n")
    }
}
