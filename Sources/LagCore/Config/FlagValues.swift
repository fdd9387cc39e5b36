/// One bad flag value: the flag and what is wrong with it. Both executables exit 2 with its text.
public struct FlagError: Error, Equatable, CustomStringConvertible {
    public let flag: String
    public let problem: String

    public init(flag: String, problem: String) {
        self.flag = flag
        self.problem = problem
    }

    public var description: String { "invalid value for \(flag): \(problem)" }
}

extension String {
    /// The text on one line: CR, LF, tabs and other control characters as `\n`-style or
    /// `\u{1b}` escapes, so that a value echoed in an error cannot span lines or forge a
    /// log line.
    public var escapingControlCharacters: String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Flag value parsing shared by `stream-lag-exporter` and `stream-lag-traffic`.
public enum FlagValues {
    /// A duration of at least `minimum` seconds, or an error naming `flag`.
    public static func duration(_ flag: String, _ text: String, minimum: Double) throws(FlagError) -> Double {
        guard let seconds = DurationParser.seconds(text) else {
            throw FlagError(flag: flag, problem: "'\(text)' is not a duration such as 500ms, 5s or 1m30s")
        }
        guard seconds >= minimum else {
            throw FlagError(flag: flag, problem: "'\(text)' is shorter than \(DurationParser.format(minimum))")
        }
        return seconds
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
