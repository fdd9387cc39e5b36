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

    init(
        bearerTokens: StaticBearerTokens?, jwt: JWTVerifier?, webConfig: WebConfig?,
        verifier: @escaping PasswordVerifier
    ) {
        self.bearerTokens = bearerTokens
        self.jwt = jwt
        self.webConfig = webConfig
        self.verifier = verifier
        self.decoyHash = webConfig?.basicAuthUsers.values.min()
    }

    /// Reads every configured file; the first problem found is thrown.
    public static func load(
        _ settings: AuthSettings, verifier: @escaping PasswordVerifier
    ) throws(AuthConfigError) -> Credentials {
        try CredentialsLoader(settings: settings).load(verifier: verifier)
    }

    /// True when nothing is configured (no tokens, no JWT key, no basic_auth_users): no auth at
    /// all. TLS alone, even with client certificates, does not count.
    public var isEmpty: Bool { bearerTokens == nil && jwt == nil && !hasBasicAuth }

    public var hasBasicAuth: Bool { !(webConfig?.basicAuthUsers.isEmpty ?? true) }

    /// Checks one request's Authorization header. Synchronous and lock-free: it runs on
    /// libmicrohttpd's threads. "Bearer" accepts a static token or a valid JWT, "Basic" a
    /// `basic_auth_users` entry; any configured kind may satisfy it. With nothing configured,
    /// everything is allowed.
    public func authorize(authorization: String?) -> AuthDecision {
        authorize(authorization: authorization, now: Date())
    }

    func authorize(authorization: String?, now: Date) -> AuthDecision {
        if isEmpty { return .allowed }
        switch AuthorizationHeader(authorization) {
        case .absent:
            return .missing
        case .bearer(let token):
            return authorizeBearer(token, now: now)
        case .basic(let user, let password):
            return authorizeBasic(user: user, password: password)
        case .unusable:
            return .invalid
        }
    }

    private func authorizeBearer(_ token: Substring, now: Date) -> AuthDecision {
        if let bearerTokens, bearerTokens.contains(token) { return .allowed }
        if let jwt, (try? jwt.verify(token, now: now)) != nil { return .allowed }
        return .invalid
    }

    private func authorizeBasic(user: String, password: String) -> AuthDecision {
        guard let users = webConfig?.basicAuthUsers, let decoyHash else { return .invalid }
        guard let hash = users[user] else {
            _ = verifier(password, decoyHash)
            return .invalid
        }
        if basicSuccesses.contains(user: user, password: password, hash: hash) { return .allowed }
        guard verifier(password, hash) else { return .invalid }
        basicSuccesses.remember(user: user, password: password, hash: hash)
        return .allowed
    }
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
