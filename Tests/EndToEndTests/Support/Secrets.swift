import Foundation

/// A temporary folder of key material made with the openssl CLI, removed when the test ends.
final class SecretsDir: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("slx-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    /// Runs a command in this folder; throws with its output when it fails.
    @discardableResult
    func run(_ tool: String, _ args: [String]) throws -> String {
        let result = try runTool(tool, args, in: url)
        guard result.status == 0 else { throw TestFailure("\(tool) \(args.joined(separator: " ")): \(result.output)") }
        return result.output
    }

    func openssl(_ args: String...) throws { try run("/usr/bin/openssl", args) }

    /// A CA, a server certificate for 127.0.0.1 signed by it, a client certificate signed by it,
    /// and a self-signed client certificate it did not sign.
    func makePKI() throws {
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                    "-days", "2", "-subj", "/CN=test-ca")
        try write("server.ext", "subjectAltName=IP:127.0.0.1\n")
        for (name, ext) in [("server", ["-extfile", "server.ext"]), ("client", [])] {
            try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)")
            try run("/usr/bin/openssl", ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                                         "-CAcreateserial", "-out", "\(name).pem", "-days", "2"] + ext)
        }
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem",
                    "-days", "2", "-subj", "/CN=rogue")
    }

    /// A bcrypt hash made by the system's crypt (libxcrypt), as htpasswd would (cost 10 unless told).
    func bcrypt(_ password: String, cost: Int = 10) throws -> String {
        try run("/usr/bin/python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=\(1 << cost))))", password])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
