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

    /// The file as UTF-8 text; PEM, JSON, YAML and token lists are all text.
    static func readText(_ path: String, flag: String) throws(AuthConfigError) -> String {
        let bytes = try read(path, flag: flag)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" is not UTF-8 text")
        }
        return text
    }
}
