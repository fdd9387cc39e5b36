import Auth
import Foundation
import Bcrypt
import HTTPServer

/// Loading helpers shared by the suites.
enum Fixtures {
    /// libcrypt's bcrypt, as the executable wires it.
    static let bcrypt: PasswordVerifier = bcryptVerifier(Bcrypt.bcryptHash)

    static func load(_ settings: AuthSettings) throws -> Credentials {
        try Credentials.load(settings, verifier: bcrypt)
    }

    /// The error `load` throws, or nil when it loads.
    static func loadError(_ settings: AuthSettings) -> AuthConfigError? {
        do {
            _ = try Credentials.load(settings, verifier: bcrypt)
            return nil
        } catch {
            return error
        }
    }

    static func webConfigError(_ path: String) -> AuthConfigError? {
        do {
            _ = try WebConfig.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    /// A random secret of `count` bytes, printable so that it survives a text file.
    static func secret(_ count: Int) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return (0..<count).map { _ in alphabet.randomElement()! }
    }

    /// A real bcrypt hash made by Python's crypt module (libcrypt), `$2b$`, cost 10 unless a
    /// test only needs the shape.
    static func bcryptHash(_ password: String, cost: Int = 10, in dir: TempDirectory) throws -> String {
        let script = "import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=\(1 << cost))))"
        let output = try Command.run("/usr/bin/python3", ["-W", "ignore", "-c", script], in: dir.path, input: Array(password.utf8))
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
