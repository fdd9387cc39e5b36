import Foundation
import Testing

@testable import Auth

/// No secret, token, password, hash or key material in any error text or description.
@Suite("Secrets never leak into messages")
struct SecretHygieneTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    /// Every way a value's text can escape: interpolation, debug printing and `dump`.
    func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), dumped]
    }

    func expectClean(_ texts: [String], of secrets: [String], _ context: String) {
        for text in texts {
            for secret in secrets {
                #expect(!text.contains(secret), "\(context) leaks a secret")
            }
        }
    }

    @Test func configErrorsNeverQuoteSecrets() throws {
        let token = "tok-3b9f1c2a7e6d5b4a"
        let hmac = "hmac-secret-9c8b7a"
        let password = "plaintext-password-42"
        let hash = try Fixtures.bcryptHash("pw", in: dir)
        try OpenSSL.makeSelfSignedCertificate("server", in: dir)
        let keyPEM = try dir.read("server.key")
        let keyBody = keyPEM.split(separator: "\n")[1...3].map(String.init)

        var errors: [AuthConfigError?] = []
        // A token line too long; a short HMAC secret; a private key where a public one belongs.
        errors.append(Fixtures.loadError(AuthSettings(bearerTokensFile: try dir.write("t", String(repeating: token, count: 600)))))
        errors.append(Fixtures.loadError(AuthSettings(jwtHMACSecretFile: try dir.write("h", hmac + "\n"))))
        errors.append(Fixtures.loadError(AuthSettings(jwtPublicKeyFile: dir.path + "/server.key")))
        errors.append(Fixtures.loadError(AuthSettings(jwtPublicKeyFile: try dir.write("p", "-----BEGIN PUBLIC KEY-----\n\(hmac)\n-----END PUBLIC KEY-----\n"))))
        errors.append(Fixtures.loadError(AuthSettings(jwtJWKSFile: try dir.write("j", #"{"keys":[{"kty":"RSA","n":"\#(hmac)","e":"AQAB","d":"\#(hmac)"}]}"#))))
        errors.append(Fixtures.loadError(AuthSettings(jwtJWKSFile: try dir.write("j2", "{\"keys\": \(hmac)"))))
        // Web configs: a plain-text password as a hash, YAML broken on a line holding a hash or
        // a password, a duplicated user, a key file that is not PEM, a non-string hash.
        for yaml in [
            "basic_auth_users:\n  alice: \(password)\n",
            "basic_auth_users:\n  alice: \(hash): x: [\n",
            "basic_auth_users:\n  alice: \(hash)\n bad indent \(password)\n",
            "basic_auth_users:\n  alice: \(hash)\n  alice: \(password)\n",
            "basic_auth_users:\n  alice: [\(password)]\n",
            "basic_auth_users: \(password)\n",
            "\(password): 1\n",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: leaked.key\n",
            "tls_server_config:\n  cert_file: leaked.key\n  key_file: server.key\n",
        ] {
            try dir.write("leaked.key", "not a key but secret: \(password)\n")
            let path = try dir.write("web.yml", yaml)
            errors.append(Fixtures.webConfigError(path))
            errors.append(Fixtures.loadError(AuthSettings(webConfigFile: path)))
        }
        #expect(errors.allSatisfy { $0 != nil }, "every case above is an error")
        for error in errors.compactMap({ $0 }) {
            expectClean(renderings(error), of: [token, hmac, password, hash] + keyBody, "\(error.flag)")
        }
    }

    @Test func loadedCredentialsDoNotPrintTheirSecrets() async throws {
        let token = "tok-55e1c0ffee"
        let secret = Fixtures.secret(64)
        let secretText = String(decoding: secret, as: UTF8.self)
        let hash = try Fixtures.bcryptHash("pw", in: dir)
        try OpenSSL.makeSelfSignedCertificate("server", in: dir)
        let keyPEM = try dir.read("server.key")
        let keyLine = String(keyPEM.split(separator: "\n")[2])
        let web = try dir.write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: \(hash)\n")
        let credentials = try Fixtures.load(AuthSettings(
            bearerTokensFile: try dir.write("tokens", token + "\n"), jwtHMACSecretFile: try dir.write("secret", bytes: secret),
            webConfigFile: web))
        let secrets = [token, secretText, hash, keyLine]

        expectClean(renderings(credentials), of: secrets, "Credentials")
        expectClean(renderings(try #require(credentials.webConfig)), of: secrets, "WebConfig")
        expectClean(renderings(try #require(credentials.webConfig?.tls)), of: secrets, "WebConfig.TLS")
        expectClean(renderings(try #require(credentials.bearerTokens)), of: secrets, "StaticBearerTokens")
        for key in credentials.jwt?.keys ?? [] {
            expectClean(renderings(key), of: secrets, "VerificationKey")
        }

        // Decisions carry no data at all, whatever was sent.
        let jwt = try await Tokens.hmac(secret)
        for header in ["Bearer \(token)", "Bearer \(jwt)", "Bearer \(token)x", Fixtures.basic("alice", "pw"), Fixtures.basic("alice", "nope")] {
            let decision = credentials.authorize(authorization: header)
            expectClean(renderings(decision), of: secrets + [jwt, "nope"], "AuthDecision")
            expectClean(renderings(AuthorizationHeader(header)), of: [token, jwt, "nope"], "AuthorizationHeader")
        }
    }
}
