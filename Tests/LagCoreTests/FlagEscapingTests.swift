import Testing
@testable import LagCore

@Suite("Flag value escaping")
struct FlagEscapingTests {
    @Test("echoed values stay on one line", arguments: [
        ("5s\nlevel=error msg=forged", #"5s\nlevel=error msg=forged"#),
        ("a\r\nb", #"a\r\nb"#),
        ("tab\there", #"tab\there"#),
        ("esc\u{1b}[2J", #"esc\u{1b}[2J"#),
        ("nul\u{0}", #"nul\u{0}"#),
        ("line\u{2028}sep", #"line\u{2028}sep"#),
        ("ünïcödé stays", "ünïcödé stays"),
    ])
    func escaping(raw: String, shown: String) {
        #expect(raw.escapingControlCharacters == shown)
        #expect(FlagError(flag: "--x", problem: "'\(raw)'").description.escapingControlCharacters.contains(shown))
    }
}
