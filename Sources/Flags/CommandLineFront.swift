public import ArgumentParser
import Foundation
public import LagCore

/// What both executables do first: parse the command line, print `--help` and exit 0, or exit 2
/// with one line naming the bad flag (control characters escaped, so a value cannot forge a
/// second line).
public enum CommandLineFront {
    public static func parse<Command: ParsableCommand>(_ type: Command.Type, tool: String, arguments: [String]? = nil) -> Command {
        // The error is released before exiting: ArgumentParser's errors are multi-payload enums
        // whose pointers carry the case in their spare bits, which LeakSanitizer cannot follow,
        // so exiting while one is alive was reported as a leak (scripts/sanitize.sh address).
        let message: String
        do {
            return try Command.parse(arguments)
        } catch {
            if Command.exitCode(for: error) == .success {
                print(Command.fullMessage(for: error))
                exit(0)
            }
            message = Command.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
        }
        badFlag(tool: tool, message)
    }

    /// Writes `tool: message` on one line to stderr and exits 2.
    public static func badFlag(tool: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("\(tool): \(message.escapingControlCharacters)\n".utf8))
        exit(2)
    }
}
