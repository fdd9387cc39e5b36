import Foundation

/// A file holding one secret: its first line, trailing newlines dropped. Its contents never
/// reach an error or a log line.
public enum SecretFile {
    /// nil when the file cannot be read.
    public static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}
