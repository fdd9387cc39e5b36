import Foundation

/// Reads credential and config files, bounded in size. Every failure becomes an AuthConfigError
/// that names the flag and the path but never a byte of the contents.
enum CredentialFile {
    /// Far above any real key, token list or web config; stops `/dev/zero` or a log file given by
    /// mistake from being read into memory.
    static let maximumBytes = 1 << 20

    /// Why a file could not be read, in words that name the path and never the contents.
    private enum Failure: Error {
        case noPath, missing, directory, denied, readFailed, tooLarge

        func problem(_ path: String) -> String {
            switch self {
            case .noPath: "the path is empty"
            case .missing: "cannot read \"\(path)\": no such file"
            case .directory: "cannot read \"\(path)\": it is a directory"
            case .denied: "cannot read \"\(path)\": permission denied"
            // The underlying error names only the file, but say it in our own words anyway.
            case .readFailed: "cannot read \"\(path)\": read failed"
            case .tooLarge: "\"\(path)\" is larger than 1 MiB"
            }
        }
    }

    /// The bytes of the file, bounded; the one place files are opened and read.
    private static func contents(_ path: String) -> Result<[UInt8], Failure> {
        guard !path.isEmpty else { return .failure(.noPath) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .failure(.missing) }
        guard !isDirectory.boolValue else { return .failure(.directory) }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(.denied) }
        defer { try? handle.close() }
        let data: Data?
        do { data = try handle.read(upToCount: maximumBytes + 1) } catch { return .failure(.readFailed) }
        let bytes = [UInt8](data ?? Data())  // nil at once: an empty file
        return bytes.count <= maximumBytes ? .success(bytes) : .failure(.tooLarge)
    }

    static func read(_ path: String, flag: String) throws(AuthConfigError) -> [UInt8] {
        switch contents(path) {
        case .failure(let failure):
            throw AuthConfigError(flag: flag, problem: failure.problem(path))
        case .success(let bytes):
            guard !bytes.isEmpty else { throw AuthConfigError(flag: flag, problem: "\"\(path)\" is empty") }
            return bytes
        }
    }

    /// On a reload, why the file at `path` counts as emptied: it no longer exists, or holds
    /// nothing but whitespace. Nil when there is something to load (or an error for `read` to
    /// report: a directory, no permission, too large). An emptied file revokes what it held;
    /// at start the same file is an error.
    static func emptied(_ path: String) -> String? {
        switch contents(path) {
        case .failure(.missing): return "\"\(path)\" no longer exists"
        case .failure: return nil
        case .success(let bytes):
            let blank = bytes.allSatisfy { [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains($0) }
            return blank ? "\"\(path)\" is empty" : nil
        }
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
