/// TLS for `HTTPServer`: a PEM key pair and, for client certificates, a PEM bundle of client CAs
/// and a mode. Descriptions and mirrors never show the private key.
public struct TLSSettings: Sendable, Equatable {
    /// When a client certificate is asked for and what it takes to get past the wrapper; the
    /// cases are exporter-toolkit's `client_auth_type` values.
    public enum ClientAuth: Sendable, Equatable {
        /// `NoClientCert`: none is asked for.
        case none
        /// `RequestClientCert`: asked for, never required or refused.
        case request
        /// `RequireAnyClientCert`: one must be presented; it need not verify.
        case requireAny
        /// `VerifyClientCertIfGiven`: optional, but one that is presented must verify.
        case verifyIfGiven
        /// `RequireAndVerifyClientCert`: one must be presented and verify.
        case requireAndVerify
    }

    public var certificatePEM: String
    public var privateKeyPEM: String
    /// The CAs that client certificates are verified against (required by `.verifyIfGiven`
    /// and `.requireAndVerify`; optional with `.request` and `.requireAny`, where it only
    /// decides whether `HTTPRequest.clientCertificate` says `.verified`; ignored with `.none`).
    public var clientCAPEM: String?
    public var clientAuth: ClientAuth

    public init(certificatePEM: String, privateKeyPEM: String, clientCAPEM: String? = nil,
                clientAuth: ClientAuth = .none) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.clientCAPEM = clientCAPEM
        self.clientAuth = clientAuth
    }
}

extension TLSSettings.ClientAuth {
    /// Whether the wrapper answers 403 instead of calling the handler.
    func refuses(_ certificate: ClientCertificate) -> Bool {
        switch (self, certificate) {
        case (.none, _), (.request, _): false
        case (.requireAny, .none): true
        case (.requireAny, _): false
        case (.verifyIfGiven, .unverified): true
        case (.verifyIfGiven, _): false
        case (.requireAndVerify, .verified): false
        case (.requireAndVerify, _): true
        }
    }
}

extension TLSSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "TLSSettings(certificatePEM: \(certificatePEM.utf8.count) bytes, privateKeyPEM: <redacted>, "
            + "clientCAPEM: \(clientCAPEM.map { "\($0.utf8.count) bytes" } ?? "nil"), clientAuth: \(clientAuth))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: [
            "certificatePEM": "\(certificatePEM.utf8.count) bytes",
            "privateKeyPEM": "<redacted>",
            "clientCAPEM": clientCAPEM.map { "\($0.utf8.count) bytes" } ?? "nil",
            "clientAuth": clientAuth,
        ])
    }
}
