import Foundation

/// Keys and certificates made with the `openssl` CLI, as an operator would make them.
enum OpenSSL {
    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `openssl` with `arguments` in `directory`; returns stdout.
    @discardableResult
    static func run(_ arguments: [String], in directory: String, input: [UInt8]? = nil) throws -> [UInt8] {
        try Command.run("/usr/bin/openssl", arguments, in: directory, input: input)
    }

    /// An RSA private key (PKCS#8) and its public key, as `<name>.key` and `<name>.pub`.
    static func makeRSA(_ name: String, bits: Int = 2048, in dir: TempDirectory) throws -> (privatePEM: String, publicPath: String) {
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)", "-out", "\(name).key"], in: dir.path)
        try run(["pkey", "-in", "\(name).key", "-pubout", "-out", "\(name).pub"], in: dir.path)
        return (try dir.read("\(name).key"), dir.path + "/\(name).pub")
    }

    /// An EC private key on `curve` (P-256, P-384, P-521) and its public key.
    static func makeEC(_ name: String, curve: String, in dir: TempDirectory) throws -> (privatePEM: String, publicPath: String) {
        try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)", "-out", "\(name).key"], in: dir.path)
        try run(["pkey", "-in", "\(name).key", "-pubout", "-out", "\(name).pub"], in: dir.path)
        return (try dir.read("\(name).key"), dir.path + "/\(name).pub")
    }

    /// A self-signed certificate and its key, as `<name>.crt` and `<name>.key`: RSA 2048, or
    /// P-256 where only the files matter (about 20 times faster to make).
    static func makeSelfSignedCertificate(_ name: String, in dir: TempDirectory, ec: Bool = false) throws {
        let key = ec ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", "rsa:2048"]
        try run(
            ["req", "-x509"] + key + ["-nodes", "-keyout", "\(name).key", "-out", "\(name).crt",
             "-days", "1", "-subj", "/CN=localhost"],
            in: dir.path)
    }

    /// HMAC of `data` with `key`, by the CLI (for tokens jwt-kit refuses to sign, such as HS384
    /// with a 32-byte key: it asserts in debug builds).
    static func hmac(_ digest: String, key: [UInt8], data: [UInt8], in dir: TempDirectory) throws -> [UInt8] {
        let hexKey = key.map { String(format: "%02x", $0) }.joined()
        return try run(["dgst", "-\(digest)", "-mac", "HMAC", "-macopt", "hexkey:\(hexKey)", "-binary"], in: dir.path, input: data)
    }
}

/// Runs a program and returns its stdout; throws with its stderr when it fails.
enum Command {
    static func run(_ program: String, _ arguments: [String], in directory: String, input: [UInt8]? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input)) }
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSL.CommandFailed(
                description: "\(program) \(arguments.first ?? "") failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return [UInt8](output)
    }
}
