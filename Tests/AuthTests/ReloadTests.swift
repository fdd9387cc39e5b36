import Foundation
import Testing

@testable import Auth

/// SIGHUP reloads: once credentials are required a reload can never turn the requirement off.
@Suite("Reloading credentials")
struct ReloadTests {
    let dir: TempDirectory

    init() throws {
        dir = try TempDirectory()
    }

    private func reload(_ settings: AuthSettings, replacing previous: Credentials) throws -> Credentials {
        try Credentials.reload(settings, verifier: Fixtures.bcrypt, replacing: previous)
    }

    @Test func emptyingBasicAuthUsersFailsClosed() throws {
        let hash = try Fixtures.bcryptHash("pw", cost: 4, in: dir)
        let path = try dir.write("web.yml", "basic_auth_users:\n  alice: \(hash)\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        for contents in ["basic_auth_users: {}\n", "basic_auth_users:\n"] {
            try dir.write("web.yml", contents)
            let reloaded = try reload(settings, replacing: start)
            #expect(reloaded.failsClosed, "\(contents)")
            #expect(reloaded.authorize(authorization: Fixtures.basic("alice", "pw")) == .invalid)
            #expect(reloaded.authorize(authorization: nil) == .missing)
        }
    }

    /// Once required, always required: a reload of a reload that failed closed stays closed.
    @Test func theRequirementIsKeptAcrossReloads() throws {
        let hash = try Fixtures.bcryptHash("pw", cost: 4, in: dir)
        let path = try dir.write("web.yml", "basic_auth_users:\n  alice: \(hash)\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        try dir.write("web.yml", "basic_auth_users: {}\n")
        let first = try reload(settings, replacing: start)
        let second = try reload(settings, replacing: first)
        #expect(first.failsClosed && second.failsClosed && second.required)
    }

    /// Nothing configured at start on loopback: served open, and a reload changes nothing.
    @Test func nothingConfiguredStaysOpen() throws {
        let start = try Fixtures.load(AuthSettings())
        #expect(!start.required && !start.failsClosed)
        let reloaded = try reload(AuthSettings(), replacing: start)
        #expect(reloaded.authorize(authorization: nil) == .allowed)
    }

    /// RequireAndVerifyClientCert counts as a credential; dropping it by reload fails closed.
    @Test func aRequiredClientCertificateIsACredential() throws {
        try OpenSSL.makeSelfSignedCertificate("server", in: dir, ec: true)
        try OpenSSL.makeSelfSignedCertificate("ca", in: dir, ec: true)
        let tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        let path = try dir.write("web.yml", tls + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n")
        let settings = AuthSettings(webConfigFile: path)
        let start = try Fixtures.load(settings)
        #expect(start.isEmpty && start.requiresClientCertificate && start.protects && start.required)
        #expect(start.authorize(authorization: nil, clientCertificateVerified: true) == .allowed)
        #expect(start.authorize(authorization: nil, clientCertificateVerified: false) == .missing)

        for mode in ["RequireAnyClientCert", "RequestClientCert"] {
            try dir.write("any.yml", tls + "  client_auth_type: \(mode)\n")
            let any = try Fixtures.load(AuthSettings(webConfigFile: dir.path + "/any.yml"))
            #expect(!any.protects, "\(mode) checks no certificate against a CA: not a credential")
        }

        try dir.write("web.yml", tls)
        let reloaded = try reload(settings, replacing: start)
        #expect(reloaded.failsClosed)
        #expect(reloaded.authorize(authorization: nil, clientCertificateVerified: true) == .missing,
                "no certificate is asked for any more: nothing can pass")
    }
}
