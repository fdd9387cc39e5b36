import Auth
import Foundation

/// The credentials the auth targets check against, written once per process into a temporary
/// directory (under $TMPDIR): a static token, the test HMAC secret for HS256/384/512 JWTs with
/// an issuer and audience rule, a basic-auth user, and PEM files a web config may name.
enum AuthFixture {
    static let staticToken = "fuzz-static-token-0123456789"
    /// 64 bytes: long enough for HS512, so every HS algorithm has a key.
    static let hmacSecret = Array("fuzz-test-hmac-secret-not-a-real-one-0123456789abcdefghijklmnopq".utf8)
    static let issuer = "fuzz-issuer"
    static let audience = "fuzz-audience"
    static let user = "fuzz"
    static let password = "fuzz-password"
    /// Shaped like a bcrypt hash; the fixture's verifier compares the password, not the hash.
    static let hash = "$2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"

    static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-lag-fuzz-\(getpid())").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) {
            _ = FileManager.default.createFile(atPath: "\(path)/\(name)", contents: Data(text.utf8))
        }
        write("tokens", "# fuzz\n\(staticToken)\n")
        _ = FileManager.default.createFile(atPath: "\(path)/hmac-secret", contents: Data(hmacSecret))
        write("web.yml", "basic_auth_users:\n  \(user): \(hash)\n")
        write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
        write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n")
        return path
    }()

    static let credentials: Credentials = {
        let settings = AuthSettings(
            bearerTokensFile: "\(directory)/tokens", jwtHMACSecretFile: "\(directory)/hmac-secret",
            jwtIssuer: issuer, jwtAudience: audience, webConfigFile: "\(directory)/web.yml")
        do {
            return try Credentials.load(settings, verifier: { candidate, _ in candidate == password })
        } catch {
            fatalError("the fuzz fixture's credentials do not load: \(error)")
        }
    }()
}
