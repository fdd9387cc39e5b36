/// Reads the files `AuthSettings` names into a `Credentials`. Kept apart from `Credentials` so
/// that the request path and the file handling each stay small.
struct CredentialsLoader {
    let settings: AuthSettings
    /// The set in force when reloading; nil at start. Its requirement is kept.
    var previous: Credentials?

    func load(verifier: @escaping PasswordVerifier) throws(AuthConfigError) -> Credentials {
        let tokens = try settings.bearerTokensFile.map { (path) throws(AuthConfigError) in
            try StaticBearerTokens.load(path: path)
        }
        let jwt = try loadJWT()
        let webConfig = try settings.webConfigFile.map { (path) throws(AuthConfigError) in
            try WebConfig.load(path: path)
        }
        return Credentials(bearerTokens: tokens, jwt: jwt, webConfig: webConfig, verifier: verifier,
                           keepsRequirementOf: previous)
    }

    private func loadJWT() throws(AuthConfigError) -> JWTVerifier? {
        var specs: [VerificationKeySpec] = []
        if let path = settings.jwtHMACSecretFile { specs += try HMACSecretFile.load(path: path) }
        if let path = settings.jwtPublicKeyFile { specs += try PublicKeyFile.load(path: path) }
        if let path = settings.jwtJWKSFile { specs += try JWKSFile.load(path: path) }

        let hasKeys = !specs.isEmpty
        let issuer = try claimValue(settings.jwtIssuer, flag: AuthSettings.Flag.jwtIssuer, hasKeys: hasKeys)
        let audience = try claimValue(settings.jwtAudience, flag: AuthSettings.Flag.jwtAudience, hasKeys: hasKeys)
        guard hasKeys else { return nil }
        let rules = ClaimRules(issuer: issuer, audience: audience)
        return JWTVerifier(keys: try specs.makeVerificationKeys(), rules: rules)
    }

    /// An issuer or audience without any JWT key would check nothing: surely a mistake.
    private func claimValue(_ value: String?, flag: String, hasKeys: Bool) throws(AuthConfigError) -> String? {
        guard let value else { return nil }
        guard !value.isEmpty else { throw AuthConfigError(flag: flag, problem: "must not be empty") }
        guard hasKeys else {
            throw AuthConfigError(
                flag: flag,
                problem: "needs a JWT key: \(AuthSettings.Flag.jwtHMACSecretFile), "
                    + "\(AuthSettings.Flag.jwtPublicKeyFile) or \(AuthSettings.Flag.jwtJWKSFile)")
        }
        return value
    }
}
