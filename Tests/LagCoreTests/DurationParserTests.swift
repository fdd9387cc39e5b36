import Testing
@testable import LagCore

@Suite("DurationParser")
struct DurationParserTests {
    @Test("Go/Prometheus durations", arguments: [
        ("500ms", 0.5), ("5s", 5.0), ("1m30s", 90.0), ("1h", 3600.0), ("0", 0.0), ("10ms", 0.01),
        ("2h45m", 9900.0), ("0s", 0.0), ("1d", 86_400.0), ("1w", 604_800.0), ("1h0m1s", 3601.0), ("250us", 0.00025),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test("refuses what is not a duration", arguments: [
        "5", "s", "-1s", "5x", "", "ms", "1m30", "5 s", " 5s", "5s ", "1.2.3s", "5S", "s5", "+5s", "0x", "00",
    ])
    func refuses(text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test("format writes the shortest form back", arguments: [
        (0.0, "0s"), (5.0, "5s"), (90.0, "1m30s"), (3600.0, "1h"), (0.5, "500ms"), (0.01, "10ms"),
        (300.0, "5m"), (3661.0, "1h1m1s"), (60.0, "1m"), (7200.0, "2h"),
    ])
    func format(seconds: Double, text: String) {
        #expect(DurationParser.format(seconds) == text)
    }

    /// What `format` writes must parse back to the same duration (`--help` defaults, logs).
    @Test("format round-trips through seconds", arguments: [0.0, 0.01, 0.5, 1.5, 2.25, 5.0, 90.0, 90.5, 300.0, 3600.0, 86_400.0])
    func roundTrip(seconds: Double) {
        #expect(DurationParser.seconds(DurationParser.format(seconds)) == seconds)
    }
}

@Suite("DurationParser limits")
struct DurationParserLimitTests {
    /// Go's time.ParseDuration refuses an overflowing number; +Inf is no poll interval.
    @Test("a number too large for a Double is not a duration")
    func overflow() {
        #expect(DurationParser.seconds(String(repeating: "9", count: 400) + "s") == nil)
    }

    /// `--poll.interval 3000000000000000h` parses; logging it must not trap (exit 2, not a crash).
    @Test("format of a huge duration does not crash")
    func formatHuge() async {
        await #expect(processExitsWith: .success) {
            _ = DurationParser.format(3_000_000_000_000_000 * 3600)
        }
    }
}

/// Found by the `duration` fuzz target (Tests/Fuzz/regressions/duration): at the very top of
/// the accepted range, `format` rounded up to a millisecond past `maxSeconds`, a text that
/// `seconds` then refused.
@Suite("DurationParser at its maximum")
struct DurationParserMaximumTests {
    @Test("format of the longest durations parses back, to the millisecond",
          arguments: ["2562047h47m16s854.5ms", "9223372036.8547s", "2562047h47m16s854ms"])
    func formatAtMaximum(text: String) throws {
        let seconds = try #require(DurationParser.seconds(text))
        let back = try #require(DurationParser.seconds(DurationParser.format(seconds)))
        #expect(abs(back - seconds) < 0.001)
    }
}

@Suite("FlagValues")
struct FlagValuesTests {
    @Test func durationNamesTheFlag() throws {
        #expect(try FlagValues.duration("--poll.interval", "1m30s", minimum: 0.01) == 90)
        #expect(throws: FlagError(flag: "--poll.interval", problem: "'5x' is not a duration such as 500ms, 5s or 1m30s")) {
            try FlagValues.duration("--poll.interval", "5x", minimum: 0.01)
        }
        #expect(throws: FlagError(flag: "--poll.interval", problem: "'1ms' is shorter than 10ms")) {
            try FlagValues.duration("--poll.interval", "1ms", minimum: 0.01)
        }
    }

    @Test func listTrimsAndDropsEmptyItems() {
        #expect(FlagValues.list(" a, b ,,c ") == ["a", "b", "c"])
        #expect(FlagValues.list("") == [])
    }
}
