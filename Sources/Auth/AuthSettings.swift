/// The credential flags as the user gave them: paths and plain values, nothing read yet.
public struct AuthSettings: Sendable, Equatable {
    /// `--auth.bearer-tokens-file`: one token a line; blank lines and lines starting with `#` ignored.
    public var bearerTokensFile: String?
    /// `--auth.jwt.hmac-secret-file`: the HS256/HS384/HS512 secret (trailing newlines stripped).
    public var jwtHMACSecretFile: String?
    /// `--auth.jwt.public-key-file`: a PEM RSA or EC public key (or a certificate holding one).
    public var jwtPublicKeyFile: String?
    /// `--auth.jwt.jwks-file`: a JWKS JSON document.
    public var jwtJWKSFile: String?
    /// `--auth.jwt.issuer`: when set, a token's `iss` must equal it.
    public var jwtIssuer: String?
    /// `--auth.jwt.audience`: when set, a token's `aud` must contain it.
    public var jwtAudience: String?
    /// `--web.config.file`: the exporter-toolkit web configuration.
    public var webConfigFile: String?

    public init(
        bearerTokensFile: String? = nil,
        jwtHMACSecretFile: String? = nil,
        jwtPublicKeyFile: String? = nil,
        jwtJWKSFile: String? = nil,
        jwtIssuer: String? = nil,
        jwtAudience: String? = nil,
        webConfigFile: String? = nil
    ) {
        self.bearerTokensFile = bearerTokensFile
        self.jwtHMACSecretFile = jwtHMACSecretFile
        self.jwtPublicKeyFile = jwtPublicKeyFile
        self.jwtJWKSFile = jwtJWKSFile
        self.jwtIssuer = jwtIssuer
        self.jwtAudience = jwtAudience
        self.webConfigFile = webConfigFile
    }
}

extension AuthSettings {
    /// Flag names, spelled once so that every error names the flag the user typed.
    enum Flag {
        static let bearerTokensFile = "--auth.bearer-tokens-file"
        static let jwtHMACSecretFile = "--auth.jwt.hmac-secret-file"
        static let jwtPublicKeyFile = "--auth.jwt.public-key-file"
        static let jwtJWKSFile = "--auth.jwt.jwks-file"
        static let jwtIssuer = "--auth.jwt.issuer"
        static let jwtAudience = "--auth.jwt.audience"
        static let webConfigFile = "--web.config.file"
    }
}
