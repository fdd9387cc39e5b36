import Foundation

/// Runs a command to completion and returns its exit status and its stdout and stderr together.
/// `input`, when given, is written to its stdin from another thread, so that a command that
/// writes while it reads never blocks on a full pipe.
func runTool(_ path: String, _ args: [String], in directory: URL? = nil,
             input: String? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    let stdin = input.map { _ in Pipe() }
    if let stdin { p.standardInput = stdin }
    try p.run()
    if let stdin, let input {
        let writer = stdin.fileHandleForWriting
        Thread {
            writer.write(Data(input.utf8))
            try? writer.close()
        }.start()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
