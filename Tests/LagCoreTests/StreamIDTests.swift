import Testing
@testable import LagCore

@Suite("StreamID")
struct StreamIDTests {
    @Test("parses ms-seq and a bare ms", arguments: [
        ("1764396000000-5", StreamID(ms: 1_764_396_000_000, seq: 5)),
        ("0-0", StreamID.zero),
        ("123", StreamID(ms: 123, seq: 0)),
        ("18446744073709551615-18446744073709551615", StreamID.max),
        ("1-18446744073709551615", StreamID(ms: 1, seq: .max)),
    ])
    func parses(text: String, expected: StreamID) {
        #expect(StreamID(text) == expected)
        #expect(StreamID(bytes: Array(text.utf8)) == expected)
    }

    @Test("refuses what is not an ID", arguments: [
        "", "-", "1-", "-1", "a-1", "1-b", "1-2-3", " 1-0", "1-0 ", "18446744073709551616-0", "1-18446744073709551616", "1.5-0",
    ])
    func refuses(text: String) {
        #expect(StreamID(text) == nil)
    }

    @Test("orders as Redis does: by ms, then seq, numerically")
    func ordering() {
        let ids = ["2-0", "1-10", "1-9", "10-0", "1-0", "0-1", "18446744073709551615-0"].compactMap { StreamID($0) }
        #expect(ids.sorted().map(\.description) == ["0-1", "1-0", "1-9", "1-10", "2-0", "10-0", "18446744073709551615-0"])
        #expect(StreamID(ms: 1, seq: .max) < StreamID(ms: 2, seq: 0))
        #expect(!(StreamID(ms: 5, seq: 5) < StreamID(ms: 5, seq: 5)))
        #expect(StreamID.zero < StreamID.max)
    }

    @Test("successor: the smallest greater ID")
    func successor() {
        #expect(StreamID(ms: 5, seq: 0).successor == StreamID(ms: 5, seq: 1))
        #expect(StreamID(ms: 5, seq: .max).successor == StreamID(ms: 6, seq: 0))
        #expect(StreamID(ms: .max, seq: 0).successor == StreamID(ms: .max, seq: 1))
        #expect(StreamID(ms: .max, seq: .max - 1).successor == StreamID.max)
        #expect(StreamID.max.successor == nil)
        #expect(StreamID.zero.successor == StreamID(ms: 0, seq: 1))
    }

    @Test("description is Redis' own spelling")
    func description() {
        #expect(StreamID(ms: 1_764_396_000_000, seq: 0).description == "1764396000000-0")
        #expect(StreamID.max.description == "18446744073709551615-18446744073709551615")
        #expect("\(StreamID(ms: 7, seq: 42))" == "7-42")
    }
}
