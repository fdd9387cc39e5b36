/// The exporter-toolkit web configuration (`--web.config.file`): TLS for the listener and
/// bcrypt basic-auth users. Format: prometheus/exporter-toolkit docs/web-configuration.md.
public struct WebConfig: Sendable, Equatable {
    /// `tls_server_config.client_auth_type`, with Go's crypto/tls names.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// The one mode in which a client certificate is a credential: one must be presented
        /// and verify against `client_ca_file`.
        var requiresVerifiedCertificate: Bool { self == .requireAndVerifyClientCert }

        /// The two modes that check a client certificate against `client_ca_file`.
        var verifiesClientCertificate: Bool {
            self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert
        }
    }

    /// `tls_server_config`, with the files' contents read at load.
    public struct TLS: Sendable, Equatable {
        public var certPEM: String
        public var keyPEM: String
        public var clientAuth: ClientAuth
        /// Contents of `client_ca_file`.
        public var clientCAPEM: String?

        public init(
            certPEM: String, keyPEM: String, clientAuth: ClientAuth = .noClientCert, clientCAPEM: String? = nil
        ) {
            self.certPEM = certPEM
            self.keyPEM = keyPEM
            self.clientAuth = clientAuth
            self.clientCAPEM = clientCAPEM
        }
    }

    public var tls: TLS?
    /// User name to bcrypt hash.
    public var basicAuthUsers: [String: String]

    public init(tls: TLS? = nil, basicAuthUsers: [String: String] = [:]) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    /// Reads and checks the file, and the certificate and key files it names (relative paths are
    /// resolved against the config file's directory, as exporter-toolkit does).
    public static func load(path: String) throws(AuthConfigError) -> WebConfig {
        try WebConfigParser(path: path).load()
    }
}

// The private key and the hashes must not reach a log line or a test failure message by way of
// string interpolation, `dump` or Swift Testing's value expansion.
extension WebConfig.TLS: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "TLS(certPEM: \(certPEM.utf8.count) bytes, keyPEM: redacted, clientAuth: \(clientAuth.rawValue), "
            + "clientCAPEM: \(clientCAPEM.map { "\($0.utf8.count) bytes" } ?? "none"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["clientAuth": clientAuth, "redacted": description])
    }
}

extension WebConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "WebConfig(tls: \(tls.map(\.description) ?? "none"), "
            + "basicAuthUsers: \(basicAuthUsers.keys.sorted()) with hashes redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["redacted": description])
    }
}
