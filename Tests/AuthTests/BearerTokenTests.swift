import Testing

@testable import Auth

@Suite("Static bearer tokens")
struct BearerTokenTests {
    let dir: TempDirectory
    let credentials: Credentials

    init() throws {
        dir = try TempDirectory()
        let path = try dir.write(
            "tokens", "# Prometheus\r\nprom-7f3c9a1e5b2d4c6e8f0a\r\n\n   \n  second-token-55aa  \n#ignored-token\n")
        credentials = try Fixtures.load(AuthSettings(bearerTokensFile: path))
    }

    @Test func acceptsEachTokenOfTheFile() {
        #expect(credentials.authorize(authorization: "Bearer prom-7f3c9a1e5b2d4c6e8f0a") == .allowed)
        #expect(credentials.authorize(authorization: "Bearer second-token-55aa") == .allowed)
        #expect(!credentials.isEmpty)
        #expect(!credentials.hasBasicAuth)
    }

    @Test func schemeIsCaseInsensitive() {
        #expect(credentials.authorize(authorization: "bearer prom-7f3c9a1e5b2d4c6e8f0a") == .allowed)
        #expect(credentials.authorize(authorization: "BEARER   prom-7f3c9a1e5b2d4c6e8f0a  ") == .allowed)
    }

    @Test(arguments: [
        "Bearer wrong-token",
        "Bearer prom-7f3c9a1e5b2d4c6e8f0",  // a prefix of the right one
        "Bearer prom-7f3c9a1e5b2d4c6e8f0a0",  // the right one plus a character
        "Bearer PROM-7F3C9A1E5B2D4C6E8F0A",  // tokens are case-sensitive
        "Bearer #ignored-token",  // a comment line is not a token
        "Bearer",  // no token
        "Token prom-7f3c9a1e5b2d4c6e8f0a",  // unknown scheme
        "prom-7f3c9a1e5b2d4c6e8f0a",  // no scheme
        "Basic cHJvbTpwcm9t",  // basic auth is not configured
    ])
    func refusesAnythingElse(header: String) {
        #expect(credentials.authorize(authorization: header) == .invalid)
    }

    @Test func noHeaderIsMissing() {
        #expect(credentials.authorize(authorization: nil) == .missing)
        #expect(credentials.authorize(authorization: "") == .missing)
        #expect(credentials.authorize(authorization: "   ") == .missing)
    }

    @Test func oversizedTokenIsRefused() {
        let huge = "Bearer " + String(repeating: "a", count: 100_000)
        #expect(credentials.authorize(authorization: huge) == .invalid)
    }

    @Test func constantTimeEqualityIsEquality() {
        let token = Array("abc".utf8)
        #expect(StaticBearerTokens.constantTimeEquals(token, Array("abc".utf8)))
        #expect(!StaticBearerTokens.constantTimeEquals(token, Array("ab".utf8)))
        #expect(!StaticBearerTokens.constantTimeEquals(token, Array("abcd".utf8)))
        #expect(!StaticBearerTokens.constantTimeEquals(token, Array("abd".utf8)))
        #expect(!StaticBearerTokens.constantTimeEquals(token, []))
        // A length difference of a multiple of 256 must still count: it is folded in whole.
        #expect(!StaticBearerTokens.constantTimeEquals([], Array(repeating: 0, count: 256)))
    }

    @Test func fileErrorsNameTheFlag() throws {
        let onlyComments = try dir.write("comments", "# nothing\n\n")
        let cases: [(String, String)] = [
            (dir.path + "/absent", "no such file"),
            (dir.path, "is a directory"),
            (try dir.write("empty", ""), "is empty"),
            (onlyComments, "holds no token"),
            (try dir.write("long", String(repeating: "x", count: 8193) + "\n"), "longer than 8192 bytes"),
            (try dir.write("binary", bytes: [0xff, 0xfe, 0x00]), "not UTF-8"),
            ("", "path is empty"),
        ]
        for (path, expected) in cases {
            let error = try #require(Fixtures.loadError(AuthSettings(bearerTokensFile: path)))
            #expect(error.flag == "--auth.bearer-tokens-file")
            #expect(error.problem.contains(expected), "\(error)")
            #expect(error.description.hasPrefix("invalid value for --auth.bearer-tokens-file: "))
        }
    }

    @Test func nothingConfiguredAllowsEverything() throws {
        let none = try Fixtures.load(AuthSettings())
        #expect(none.isEmpty)
        #expect(none.webConfig == nil)
        #expect(none.authorize(authorization: nil) == .allowed)
        #expect(none.authorize(authorization: "Bearer anything") == .allowed)
    }
}
