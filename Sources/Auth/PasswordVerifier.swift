/// Verifies a password against a bcrypt hash (`$2y$`/`$2b$`). Injected because the implementation
/// lives in the HTTPServer module (libcrypt), so that Auth stays free of C.
public typealias PasswordVerifier = @Sendable (_ password: String, _ hash: String) -> Bool
