import Foundation
public import Logging

/// Writes one line per event to stderr, as logfmt (`ts=... level=info msg="..." key=value`) or
/// JSON. Callers never pass secrets; `RedisEndpoint.description` holds none.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable { case logfmt, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let format: Format
    private let label: String
    private let sink: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level, format: Format,
                sink: @escaping @Sendable (String) -> Void = LineLogHandler.stderr) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    public static let stderr: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", JSONWriter.timestamp(Date().timeIntervalSince1970)),
            ("level", Self.levelName(event.level)),
            ("msg", "\(event.message)"),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, "\(value)")) }
        sink(Self.render(fields, format) + "\n")
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }

    static func render(_ fields: [(String, String)], _ format: Format) -> String {
        switch format {
        case .json:
            var w = JSONWriter()
            w.beginObject()
            for (k, v) in fields { w.field(k, v) }
            w.endObject()
            return w.out
        case .logfmt:
            return fields.map { k, v in "\(k)=\(logfmtValue(v))" }.joined(separator: " ")
        }
    }

    static func logfmtValue(_ v: String) -> String {
        // Scalars, not Characters: a space followed by a combining mark is one Character.
        let needsQuotes = v.isEmpty || v.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x20 }
        guard needsQuotes else { return v }
        var out: [UInt8] = []
        JSONWriter.appendString(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Logger.Level {
    /// `--log.level` values: debug, info, warn, error.
    public init?(flag: String) {
        switch flag {
        case "debug": self = .debug
        case "info": self = .info
        case "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }
}
