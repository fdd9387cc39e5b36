/// The static bearer tokens of `--auth.bearer-tokens-file`, compared in constant time.
struct StaticBearerTokens: Sendable {
    /// Longer tokens are refused outright, at load and per request, so that a hostile header
    /// cannot make the comparison loop long.
    static let maximumTokenBytes = 8192

    private let tokens: [[UInt8]]

    init(tokens: [[UInt8]]) {
        self.tokens = tokens
    }

    /// One token a line; surrounding whitespace (a CR of a CRLF file too) is not part of it;
    /// blank lines and lines starting with `#` are skipped. A file without a token is an error.
    static func load(path: String) throws(AuthConfigError) -> StaticBearerTokens {
        guard let tokens = try loadUnlessEmptied(path: path) else {
            throw AuthConfigError(
                flag: AuthSettings.Flag.bearerTokensFile,
                problem: "\"\(path)\" holds no token (only blank lines or comments)")
        }
        return tokens
    }

    /// As `load`, for a reload: nil when the file holds no token (only blank lines or
    /// comments), which revokes every token it held.
    static func loadUnlessEmptied(path: String) throws(AuthConfigError) -> StaticBearerTokens? {
        let flag = AuthSettings.Flag.bearerTokensFile
        let text = try CredentialFile.readText(path, flag: flag)
        var tokens: [[UInt8]] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let token = line.trimmingWhitespace()
            if token.isEmpty || token.hasPrefix("#") { continue }
            guard token.utf8.count <= maximumTokenBytes else {
                throw AuthConfigError(
                    flag: flag,
                    problem: "\"\(path)\" line \(index + 1): a token is longer than \(maximumTokenBytes) bytes")
            }
            tokens.append(Array(token.utf8))
        }
        return tokens.isEmpty ? nil : StaticBearerTokens(tokens: tokens)
    }

    /// Whether `candidate` equals one of the tokens. Every token is compared in full, whatever
    /// matched before and whatever the lengths, so that timing reveals neither a token's length
    /// nor how much of a prefix was right.
    func contains(_ candidate: some StringProtocol) -> Bool {
        let given = Array(candidate.utf8)
        guard given.count <= Self.maximumTokenBytes else { return false }
        var matches: UInt8 = 0
        for token in tokens {
            let equal = Self.constantTimeEquals(token, given)
            matches |= equal ? 1 : 0
        }
        return matches != 0
    }

    /// Byte equality without an early exit: the length difference is folded into the result and
    /// the loop always runs over the longer of the two.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: lhs.count ^ rhs.count)
        let length = max(lhs.count, rhs.count)
        for index in 0..<length {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= UInt64(left ^ right)
        }
        return difference == 0
    }
}

extension StaticBearerTokens: CustomStringConvertible, CustomReflectable {
    var description: String { "StaticBearerTokens(\(tokens.count) tokens, redacted)" }
    var customMirror: Mirror { Mirror(self, children: ["count": tokens.count]) }
}

extension StringProtocol {
    /// Without whitespace (spaces, tabs, CR, LF) at either end.
    func trimmingWhitespace() -> Substring {
        let view = self[...]
        guard let first = view.firstIndex(where: { !$0.isWhitespace }),
            let last = view.lastIndex(where: { !$0.isWhitespace })
        else { return Substring() }
        return Substring(view[first...last])
    }
}
