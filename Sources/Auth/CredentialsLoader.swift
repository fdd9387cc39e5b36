/// Reads the files `AuthSettings` names into a `Credentials`. Kept apart from `Credentials` so
/// that the request path and the file handling each stay small.
///
/// At start every named file must load. On a reload (`previous` given) a file that was emptied
/// or deleted revokes what it held instead of being an error, so that revocation never fails
/// open; a file that is present but malformed is still an error (the reload is refused).
struct CredentialsLoader {
    let settings: AuthSettings
    /// The set in force when reloading; nil at start.
    var previous: Credentials?

    private var reloading: Bool { previous != nil }

    func load(verifier: @escaping PasswordVerifier) throws(AuthConfigError) -> Credentials {
        var revoked: [AuthConfigError] = []
        let tokens = try settings.bearerTokensFile.flatMap { (path) throws(AuthConfigError) -> StaticBearerTokens? in
            let flag = AuthSettings.Flag.bearerTokensFile
            guard reloading else { return try StaticBearerTokens.load(path: path) }
            if let why = CredentialFile.emptied(path) {
                revoked.append(AuthConfigError(flag: flag, problem: "\(why): its tokens are revoked"))
                return nil
            }
            guard let tokens = try StaticBearerTokens.loadUnlessEmptied(path: path) else {
                revoked.append(AuthConfigError(
                    flag: flag, problem: "\"\(path)\" holds no token any more: its tokens are revoked"))
                return nil
            }
            return tokens
        }
        let jwt = try loadJWT(revoked: &revoked)
        let webConfig = try settings.webConfigFile.map { (path) throws(AuthConfigError) -> WebConfig in
            if reloading, let why = CredentialFile.emptied(path) {
                revoked.append(AuthConfigError(
                    flag: AuthSettings.Flag.webConfigFile,
                    problem: "\(why): its basic_auth_users are revoked and TLS is off"))
                return WebConfig()
            }
            return try WebConfigParser(path: path, emptyIsNothing: reloading).load()
        }
        return Credentials(bearerTokens: tokens, jwt: jwt, webConfig: webConfig, verifier: verifier,
                           keepsRequirementOf: previous, revoked: revoked)
    }

    private func loadJWT(revoked: inout [AuthConfigError]) throws(AuthConfigError) -> JWTVerifier? {
        var specs: [VerificationKeySpec] = []
        var configured = false
        func keys(_ path: String?, _ flag: String, _ load: (String) throws(AuthConfigError) -> [VerificationKeySpec])
            throws(AuthConfigError)
        {
            guard let path else { return }
            configured = true
            if reloading, let why = CredentialFile.emptied(path) {
                revoked.append(AuthConfigError(flag: flag, problem: "\(why): its keys are revoked"))
                return
            }
            let loaded = try load(path)
            if loaded.isEmpty {
                revoked.append(AuthConfigError(flag: flag, problem: "\"\(path)\" holds no key any more: its keys are revoked"))
            }
            specs += loaded
        }
        try keys(settings.jwtHMACSecretFile, AuthSettings.Flag.jwtHMACSecretFile) { (path) throws(AuthConfigError) in
            try HMACSecretFile.load(path: path)
        }
        try keys(settings.jwtPublicKeyFile, AuthSettings.Flag.jwtPublicKeyFile) { (path) throws(AuthConfigError) in
            try PublicKeyFile.load(path: path)
        }
        try keys(settings.jwtJWKSFile, AuthSettings.Flag.jwtJWKSFile) { (path) throws(AuthConfigError) in
            try JWKSFile.load(path: path, emptySetIsRevocation: reloading)
        }

        let hasKeys = !specs.isEmpty
        // On a reload whose key files were all emptied, the issuer and audience check nothing;
        // they are not an error then (refusing the reload would keep the revoked keys).
        let keysRevoked = reloading && configured && !hasKeys
        let issuer = try claimValue(settings.jwtIssuer, flag: AuthSettings.Flag.jwtIssuer, hasKeys: hasKeys || keysRevoked)
        let audience = try claimValue(settings.jwtAudience, flag: AuthSettings.Flag.jwtAudience, hasKeys: hasKeys || keysRevoked)
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
