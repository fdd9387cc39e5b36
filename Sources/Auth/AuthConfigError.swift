/// A problem with a credential file or the web config. `flag` names the flag (for example
/// `--auth.jwt.public-key-file` or `--web.config.file`); `problem` says what is wrong and, by
/// construction, never quotes file contents: only paths, key names, line numbers and lengths.
public struct AuthConfigError: Error, Equatable, CustomStringConvertible {
    public let flag: String
    public let problem: String

    public init(flag: String, problem: String) {
        self.flag = flag
        self.problem = problem
    }

    public var description: String { "invalid value for \(flag): \(problem)" }
}
