import Foundation

/// Key material for TLS to Redis, made with the openssl CLI in a temporary folder: a CA, a
/// server certificate for localhost and 127.0.0.1, a client certificate, a rogue CA and client
/// certificate it did not sign, and an expired server certificate from the same CA.
final class RedisPKI: @unchecked Sendable {
    let dir: SecretsDir

    init() throws {
        dir = try SecretsDir()
        try dir.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                        "-days", "2", "-subj", "/CN=redis-test-ca")
        try dir.write("server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        for (name, ext) in [("server", ["-extfile", "server.ext"]), ("client", [])] {
            try dir.openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)")
            try dir.run("/usr/bin/openssl", ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                                             "-CAcreateserial", "-out", "\(name).pem", "-days", "2"] + ext)
        }
        try dir.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem",
                        "-days", "2", "-subj", "/CN=rogue")
        // `openssl ca` is the one CLI way to pick past dates for a certificate.
        try dir.write("index.txt", "")
        try dir.write("serial", "01\n")
        try dir.write("ca.cnf", """
            [ ca ]
            default_ca = test
            [ test ]
            database = index.txt
            serial = serial
            new_certs_dir = .
            default_md = sha256
            policy = any
            copy_extensions = copy
            [ any ]
            commonName = supplied

            """)
        try dir.openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "expired.key", "-out", "expired.csr",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
        try dir.openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr",
                        "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
    }

    func path(_ name: String) -> String { dir.path(name) }

    /// The server side: TLS only, verifying client certificates against the CA when asked.
    func server(authClients: Bool = false, expired: Bool = false) -> RedisTLSFiles {
        RedisTLSFiles(cert: path(expired ? "expired.pem" : "server.pem"), key: path(expired ? "expired.key" : "server.key"),
                      ca: path("ca.pem"), authClients: authClients)
    }

    /// The middle line of a private key file: text that must never appear in any output.
    func keyLine(_ name: String) throws -> String {
        let lines = try dir.read(name).split(separator: "\n")
        return String(lines[lines.count / 2])
    }
}
