/// The outcome of checking one request's Authorization header. Deliberately carries no reason:
/// the response must not tell a client which check failed.
public enum AuthDecision: Sendable, Equatable {
    case allowed
    /// No credentials given: 401 with `WWW-Authenticate: Bearer realm="stream-lag-exporter"`.
    case missing
    /// Credentials given but not accepted: 401 with `..., error="invalid_token"`.
    case invalid
}
