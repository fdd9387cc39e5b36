import Foundation
import Testing

@testable import Auth

@Suite("Web config file")
struct WebConfigTests {
    let dir: TempDirectory
    let hash: String

    init() throws {
        dir = try TempDirectory()
        try OpenSSL.makeSelfSignedCertificate("server", in: dir, ec: true)
        try OpenSSL.makeSelfSignedCertificate("ca", in: dir, ec: true)
        hash = try Fixtures.bcryptHash("pw", cost: 4, in: dir)
    }

    @Test func fullConfigWithRelativePaths() throws {
        // In a subdirectory, naming files relative to it (and one with ../).
        try FileManager.default.createDirectory(atPath: dir.path + "/conf/tls", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/server.crt", toPath: dir.path + "/conf/tls/server.crt")
        try FileManager.default.copyItem(atPath: dir.path + "/server.key", toPath: dir.path + "/conf/server.key")
        let path = try dir.write("conf/web.yml", """
            # exporter-toolkit format
            tls_server_config:
              cert_file: tls/server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ../ca.crt
              min_version: TLS12
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
              prefer_server_cipher_suites: true
              curve_preferences: [X25519]
            http_server_config:
              http2: true
              headers:
                X-Frame-Options: deny
            basic_auth_users:
              alice: \(hash)
              bob: "\(hash)"
            """)
        let config = try WebConfig.load(path: path)
        let tls = try #require(config.tls)
        #expect(tls.certPEM == (try dir.read("server.crt")))
        #expect(tls.keyPEM == (try dir.read("server.key")))
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.clientCAPEM == (try dir.read("ca.crt")))
        #expect(config.basicAuthUsers == ["alice": hash, "bob": hash])
    }

    @Test func absolutePathsAndDefaults() throws {
        let path = try dir.write("web.yml", "tls_server_config:\n  cert_file: \(dir.path)/server.crt\n  key_file: \(dir.path)/server.key\n")
        let config = try WebConfig.load(path: path)
        #expect(config.tls?.clientAuth == .noClientCert)
        #expect(config.tls?.clientCAPEM == nil)
        #expect(config.basicAuthUsers.isEmpty)
    }

    @Test(arguments: WebConfig.ClientAuth.allCases)
    func everyClientAuthTypeLoads(mode: WebConfig.ClientAuth) throws {
        let ca = mode == .noClientCert ? "" : "  client_ca_file: ca.crt\n"
        let path = try dir.write(
            "web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: \(mode.rawValue)\n\(ca)")
        #expect(try WebConfig.load(path: path).tls?.clientAuth == mode)
    }

    @Test func onlyIgnoredSectionsIsAnEmptyConfig() throws {
        let path = try dir.write("web.yml", "http_server_config:\n  http2: false\nbasic_auth_users:\n")
        #expect(try WebConfig.load(path: path) == WebConfig())
    }

    /// Every way the file can be wrong, each with the words the message must contain.
    @Test(arguments: [
        ("tls_server_config: [\n", "is not valid YAML (line"),
        ("a: b\na: c\n", "appears twice"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("# only a comment\n", "is empty"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_user:\n  a: b\n", #"unknown key "basic_auth_user" at the top level"#),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_allowed_sans: [a]\n", #"unknown key "client_allowed_sans" in tls_server_config"#),
        ("not-a-config-key: 1\n", "unknown key on line 1 at the top level"),
        ("tls_server_config: yes please\n", "tls_server_config must be a mapping"),
        ("tls_server_config:\n  min_version: TLS12\n", "needs cert_file and key_file"),
        ("tls_server_config:\n  cert_file: server.crt\n", "has cert_file but no key_file"),
        ("tls_server_config:\n  key_file: server.key\n", "has key_file but no cert_file"),
        ("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n", "tls_server_config.cert_file: cannot read"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n", "tls_server_config.key_file: cannot read"),
        ("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n", "holds no PEM certificate"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n", "holds no PEM private key"),
        ("tls_server_config:\n  cert_file: [a, b]\n  key_file: server.key\n", "cert_file must be a single value"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireClientCert\n", #"client_auth_type "RequireClientCert" is not one of NoClientCert, RequestClientCert"#),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n", "VerifyClientCertIfGiven needs client_ca_file"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n", "RequireAndVerifyClientCert needs client_ca_file"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: nope.crt\n", "tls_server_config.client_ca_file: cannot read"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n", "client_ca_file is set but client_auth_type is NoClientCert"),
        ("basic_auth_users:\n  - alice\n", "basic_auth_users must be a mapping"),
        ("basic_auth_users:\n  alice: hunter2\n", #"the value for user "alice" is not a bcrypt hash"#),
        ("basic_auth_users:\n  alice: $1$abc$abcdefgh\n", #"the value for user "alice" is not a bcrypt hash"#),
        ("basic_auth_users:\n  alice:\n", #"the value for user "alice" is not a bcrypt hash"#),
        ("basic_auth_users:\n  'a:b': $2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W\n", "contain no ':'"),
        ("basic_auth_users:\n  alice: $2y$13$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W\n",
         #"the bcrypt hash for user "alice" has cost 13, above the maximum of 12"#),
        ("basic_auth_users:\n  alice: $2b$31$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W\n", "has cost 31"),
    ])
    func errors(yaml: String, expected: String) throws {
        let path = try dir.write("web.yml", yaml)
        let error = try #require(Fixtures.webConfigError(path))
        #expect(error.flag == "--web.config.file")
        #expect(error.problem.hasPrefix("\"\(path)\": "), "names the file: \(error)")
        #expect(error.problem.contains(expected), "\(error)")
        #expect(!error.description.contains("hunter2"))
        #expect(!error.description.contains("abcdefghijklmnopqrstuu"), "never the hash")
        // The same error comes out of Credentials.load.
        #expect(Fixtures.loadError(AuthSettings(webConfigFile: path)) == error)
    }

    @Test func unreadableFiles() throws {
        for (path, expected) in [
            (dir.path + "/none.yml", "no such file"), (dir.path, "is a directory"), (try dir.write("e.yml", ""), "is empty"),
        ] {
            let error = try #require(Fixtures.webConfigError(path))
            #expect(error.flag == "--web.config.file")
            #expect(error.problem.contains(expected), "\(error)")
        }
    }

    @Test func theMaximumCostIsAccepted() throws {
        let path = try dir.write("web.yml", "basic_auth_users:\n  alice: $2y$12$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W\n")
        #expect(try WebConfig.load(path: path).basicAuthUsers.count == 1)
        #expect(BcryptHash.cost("$2y$12$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W") == 12)
        #expect(BcryptHash.cost("hunter2") == nil)
    }

    @Test func bcryptShapes() {
        #expect(BcryptHash.isWellFormed(hash))
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(BcryptHash.isWellFormed("$2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"))
        #expect(BcryptHash.isWellFormed("$2a$04$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"))
        #expect(!BcryptHash.isWellFormed("$2x$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"))
        #expect(!BcryptHash.isWellFormed("$2y$03$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8W"))
        #expect(!BcryptHash.isWellFormed("$2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8"))
        #expect(!BcryptHash.isWellFormed("$2y$10$abcdefghijklmnopqrstuuVLNdsYMkUNZkQhPqk0ZAZyuq2Tk7a8!"))
        #expect(!BcryptHash.isWellFormed(""))
    }
}
