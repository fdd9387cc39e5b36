public import ArgumentParser
public import Auth

/// `--auth.*` and `--web.config.file`: the credentials, read (and re-read on SIGHUP) by
/// `Auth.Credentials`.
public struct AuthOptions: ParsableArguments {
    @Option(name: .customLong("web.config.file"), help: ArgumentHelp(
        "Prometheus exporter-toolkit web config: tls_server_config and basic_auth_users (bcrypt)", valueName: "file"))
    var webConfigFile: String?

    @Option(name: .customLong("auth.bearer-tokens-file"), help: ArgumentHelp(
        "File of static bearer tokens, one a line (what Prometheus sends with authorization.credentials_file)", valueName: "file"))
    var bearerTokensFile: String?

    @Option(name: .customLong("auth.jwt.hmac-secret-file"), help: ArgumentHelp(
        "File holding the HMAC secret of HS256/HS384/HS512 JWTs", valueName: "file"))
    var jwtHMACSecretFile: String?

    @Option(name: .customLong("auth.jwt.public-key-file"), help: ArgumentHelp("PEM public key of RS*/PS*/ES* JWTs", valueName: "file"))
    var jwtPublicKeyFile: String?

    @Option(name: .customLong("auth.jwt.jwks-file"), help: ArgumentHelp("JWKS document of JWT keys, chosen by kid", valueName: "file"))
    var jwtJWKSFile: String?

    @Option(name: .customLong("auth.jwt.issuer"), help: ArgumentHelp("When set, a JWT's iss must equal it", valueName: "issuer"))
    var jwtIssuer: String?

    @Option(name: .customLong("auth.jwt.audience"), help: ArgumentHelp("When set, a JWT's aud must contain it", valueName: "audience"))
    var jwtAudience: String?

    public init() {}

    public var settings: AuthSettings {
        AuthSettings(
            bearerTokensFile: bearerTokensFile, jwtHMACSecretFile: jwtHMACSecretFile,
            jwtPublicKeyFile: jwtPublicKeyFile, jwtJWKSFile: jwtJWKSFile, jwtIssuer: jwtIssuer,
            jwtAudience: jwtAudience, webConfigFile: webConfigFile)
    }
}
