import Foundation

/// Reads credential and config files, bounded in size. Every failure becomes an AuthConfigError
/// that names the flag and the path but never a byte of the contents.
enum CredentialFile {
    /// Far above any real key, token list or web config; stops `/dev/zero` or a log file given by
    /// mistake from being read into memory.
    static let maximumBytes = 1 << 20

    static func read(_ path: String, flag: String) throws(AuthConfigError) -> [UInt8] {
        guard !path.isEmpty else {
            throw AuthConfigError(flag: flag, problem: "the path is empty")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AuthConfigError(flag: flag, problem: "cannot read \"\(path)\": no such file")
        }
        guard !isDirectory.boolValue else {
            throw AuthConfigError(flag: flag, problem: "cannot read \"\(path)\": it is a directory")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AuthConfigError(flag: flag, problem: "cannot read \"\(path)\": permission denied")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: maximumBytes + 1)
        } catch {
            // The underlying error names only the file, but say it in our own words anyway.
            throw AuthConfigError(flag: flag, problem: "cannot read \"\(path)\": read failed")
        }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= maximumBytes else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" is larger than 1 MiB")
        }
        guard !bytes.isEmpty else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" is empty")
        }
        return bytes
    }

    /// On a reload, why the file at `path` counts as emptied: it no longer exists, or holds
    /// nothing but whitespace. Nil when there is something to load (or an error for `read` to
    /// report: a directory, no permission, too large). An emptied file revokes what it held;
    /// at start the same file is an error.
    static func emptied(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard !path.isEmpty else { return nil }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "\"\(path)\" no longer exists"
        }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let read: Data?
        do { read = try handle.read(upToCount: maximumBytes + 1) } catch { return nil }
        guard let data = read, !data.isEmpty else { return "\"\(path)\" is empty" }
        guard data.count <= maximumBytes else { return nil }
        let blank = data.allSatisfy { [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains($0) }
        return blank ? "\"\(path)\" is empty" : nil
    }

    /// The file as UTF-8 text; PEM, JSON, YAML and token lists are all text.
    static func readText(_ path: String, flag: String) throws(AuthConfigError) -> String {
        let bytes = try read(path, flag: flag)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" is not UTF-8 text")
        }
        return text
    }
}
