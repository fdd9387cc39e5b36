import Foundation

/// One immutable, loaded set of credentials and the access policy over them. SIGHUP builds a new
/// one and swaps it in; requests in flight keep the one they started with.
public final class Credentials: Sendable {
    let bearerTokens: StaticBearerTokens?
    let jwt: JWTVerifier?
    public let webConfig: WebConfig?
    private let verifier: PasswordVerifier
    /// A configured hash to run bcrypt against when the user name is unknown, so that the answer
    /// takes as long as for a known user and does not reveal which users exist.
    private let decoyHash: String?
    private let basicSuccesses = BasicAuthCache()
    /// Recent wrong passwords, per client: answered 401 without another bcrypt run.
    let basicFailures = BasicAuthFailures()
    /// Whether `/metrics` and `/api/*` require a credential. True when this set protects them
    /// (`protects`), and kept from the set it replaced on a reload: once required, always
    /// required, so that a reload can never open them. See `failsClosed`.
    public let required: Bool
    /// What a reload found emptied or deleted, and so revoked (flag and why, never contents).
    public let revoked: [AuthConfigError]

    init(
        bearerTokens: StaticBearerTokens?, jwt: JWTVerifier?, webConfig: WebConfig?,
        verifier: @escaping PasswordVerifier, keepsRequirementOf previous: Credentials? = nil,
        revoked: [AuthConfigError] = []
    ) {
        self.bearerTokens = bearerTokens
        self.jwt = jwt
        self.webConfig = webConfig
        self.verifier = verifier
        self.decoyHash = webConfig?.basicAuthUsers.values.min()
        self.revoked = revoked
        self.required = Self.protects(bearerTokens: bearerTokens, jwt: jwt, webConfig: webConfig)
            || (previous?.required ?? false)
    }

    /// Reads every configured file at start; the first problem found is thrown.
    public static func load(
        _ settings: AuthSettings, verifier: @escaping PasswordVerifier
    ) throws(AuthConfigError) -> Credentials {
        try CredentialsLoader(settings: settings).load(verifier: verifier)
    }

    /// Re-reads every configured file for a SIGHUP. A present but malformed file is thrown (the
    /// caller keeps `previous`); an emptied or deleted one revokes what it held (`revoked`).
    /// The requirement is kept from `previous`: when nothing is left to check, the result
    /// `failsClosed`.
    public static func reload(
        _ settings: AuthSettings, verifier: @escaping PasswordVerifier, replacing previous: Credentials
    ) throws(AuthConfigError) -> Credentials {
        try CredentialsLoader(settings: settings, previous: previous).load(verifier: verifier)
    }

    /// True when no credential is checked from the Authorization header (no tokens, no JWT key,
    /// no basic_auth_users). TLS alone does not count; see `requiresClientCertificate`.
    public var isEmpty: Bool { !Self.checksHeader(bearerTokens: bearerTokens, jwt: jwt, webConfig: webConfig) }

    public var hasBasicAuth: Bool { !(webConfig?.basicAuthUsers.isEmpty ?? true) }

    private static func checksHeader(bearerTokens: StaticBearerTokens?, jwt: JWTVerifier?, webConfig: WebConfig?) -> Bool {
        bearerTokens != nil || jwt != nil || !(webConfig?.basicAuthUsers.isEmpty ?? true)
    }

    /// The one definition of "this set protects the paths", usable before `self` exists.
    private static func protects(bearerTokens: StaticBearerTokens?, jwt: JWTVerifier?, webConfig: WebConfig?) -> Bool {
        checksHeader(bearerTokens: bearerTokens, jwt: jwt, webConfig: webConfig)
            || webConfig?.tls?.clientAuth.requiresVerifiedCertificate == true
    }

    /// `client_auth_type: RequireAndVerifyClientCert`: a certificate signed by `client_ca_file`
    /// is a credential (the TLS layer refuses a connection without one). The other modes do not
    /// count: `RequireAnyClientCert` accepts any self-signed certificate.
    public var requiresClientCertificate: Bool { webConfig?.tls?.clientAuth.requiresVerifiedCertificate == true }

    /// Whether this set has something to check on the protected paths: a credential in the
    /// Authorization header, or a verified client certificate.
    public var protects: Bool { Self.protects(bearerTokens: bearerTokens, jwt: jwt, webConfig: webConfig) }

    /// Credentials are required but this set holds nothing to check (a reload emptied the
    /// files): the protected paths refuse every request until a reload brings one back.
    public var failsClosed: Bool { required && !protects }

    /// Checks one request's Authorization header, at once where that is cheap. "Bearer"
    /// accepts a static token or a valid JWT, "Basic" a `basic_auth_users` entry; any configured
    /// kind may satisfy it. With no header credential configured, a verified client certificate
    /// is what `RequireAndVerifyClientCert` asks for; with nothing configured, everything is
    /// allowed unless credentials are `required`. Runs on libmicrohttpd's threads, so it never
    /// runs bcrypt: a basic-auth password that is neither remembered as right nor as recently
    /// wrong from this `client` comes back as `.needsPasswordCheck`, for the caller to run
    /// elsewhere.
    public func check(authorization: String?, client: @autoclosure () -> String,
                      clientCertificateVerified: Bool = false) -> AuthCheck {
        check(authorization: authorization, client: client(), clientCertificateVerified: clientCertificateVerified,
              now: Date())
    }

    /// `check`, running a password check inline: for tests and tools, not for request threads.
    public func authorize(authorization: String?, clientCertificateVerified: Bool = false) -> AuthDecision {
        authorize(authorization: authorization, clientCertificateVerified: clientCertificateVerified, now: Date())
    }

    func authorize(authorization: String?, clientCertificateVerified: Bool = false, now: Date) -> AuthDecision {
        switch check(authorization: authorization, client: "", clientCertificateVerified: clientCertificateVerified,
                     now: now) {
        case .decided(let decision): decision
        case .needsPasswordCheck(let passwordCheck): passwordCheck.run()
        }
    }

    func check(authorization: String?, client: @autoclosure () -> String, clientCertificateVerified: Bool,
               now: Date) -> AuthCheck {
        if isEmpty {
            if requiresClientCertificate {
                if clientCertificateVerified { return .decided(.allowed) }
            } else if !required {
                return .decided(.allowed)
            }
            // Fail closed: nothing here can succeed, and the answer looks like any refusal.
            return .decided(AuthorizationHeader(authorization) == .absent ? .missing : .invalid)
        }
        switch AuthorizationHeader(authorization) {
        case .absent:
            return .decided(.missing)
        case .bearer(let token):
            return .decided(authorizeBearer(token, now: now))
        case .basic(let user, let password):
            return checkBasic(user: user, password: password, client: client())
        case .unusable:
            return .decided(.invalid)
        }
    }

    private func authorizeBearer(_ token: Substring, now: Date) -> AuthDecision {
        if let bearerTokens, bearerTokens.contains(token) { return .allowed }
        if let jwt, (try? jwt.verify(token, now: now)) != nil { return .allowed }
        return .invalid
    }

    private func checkBasic(user: String, password: String, client: String) -> AuthCheck {
        guard let users = webConfig?.basicAuthUsers, let decoyHash else { return .decided(.invalid) }
        let hash = users[user]
        if let hash, basicSuccesses.contains(user: user, password: password, hash: hash) { return .decided(.allowed) }
        // An unknown user is remembered against the decoy, like any wrong password.
        let failure = BasicAuthFailures.key(user: user, password: password, client: client, hash: hash ?? decoyHash)
        if basicFailures.contains(failure) { return .decided(.invalid) }
        return .needsPasswordCheck(PasswordCheck(credentials: self, user: user, password: password, hash: hash,
                                                 failureKey: failure))
    }

    /// One bcrypt run (against the decoy for an unknown user, so that the time taken does not
    /// tell which users exist); the outcome is remembered either way.
    func runPasswordCheck(_ check: PasswordCheck) -> AuthDecision {
        guard let decoyHash else { return .invalid }
        guard let hash = check.hash else {
            _ = verifier(check.password, decoyHash)
            basicFailures.remember(check.failureKey)
            return .invalid
        }
        guard verifier(check.password, hash) else {
            basicFailures.remember(check.failureKey)
            return .invalid
        }
        basicSuccesses.remember(user: check.user, password: check.password, hash: hash)
        return .allowed
    }
}

/// What `Credentials.check` found: a decision, or a password that still needs bcrypt.
public enum AuthCheck: Sendable {
    case decided(AuthDecision)
    /// A basic-auth password to verify: `run()` costs a bcrypt run (0.05-0.2 s of CPU at cost
    /// 10-12) and must not run on a thread that serves other requests.
    case needsPasswordCheck(PasswordCheck)
}

/// One pending basic-auth check. Holds the password until it runs: never log it.
public struct PasswordCheck: Sendable {
    let credentials: Credentials
    let user: String
    let password: String
    /// Nil for an unknown user (the decoy is used).
    let hash: String?
    let failureKey: [UInt8]

    /// Runs bcrypt and remembers the outcome (a success for this user and password, a failure
    /// for this user, password and client). Slow: see `AuthCheck`.
    public func run() -> AuthDecision { credentials.runPasswordCheck(self) }
}

extension PasswordCheck: CustomStringConvertible, CustomReflectable {
    public var description: String { "PasswordCheck(user: \(user), password redacted)" }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

extension Credentials: CustomStringConvertible, CustomReflectable {
    /// What is configured, never with what.
    public var description: String {
        var kinds: [String] = []
        if bearerTokens != nil { kinds.append("bearer tokens") }
        if let jwt { kinds.append("JWT (\(Set(jwt.keys.map(\.algorithm.rawValue)).sorted().joined(separator: ", ")))") }
        if hasBasicAuth { kinds.append("basic auth (\(webConfig?.basicAuthUsers.count ?? 0) users)") }
        if webConfig?.tls != nil { kinds.append("TLS") }
        return "Credentials(\(kinds.isEmpty ? "none" : kinds.joined(separator: "; ")))"
    }

    /// `dump` and debuggers see the summary, not the stored tokens, hashes and keys.
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}
