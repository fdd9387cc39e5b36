import Foundation

/// One HTTP exchange made with curl, exactly as a client sees it.
struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }

    static func fetch(_ url: String, method: String = "GET", headers: [String] = [], curl extra: [String] = []) throws -> HTTPResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-s", "-S", "-D", "-", "--max-time", "10", "-o", "-"]
        if method == "HEAD" { args.append("-I") } else { args += ["-X", method] }
        for h in headers { args += ["-H", h] }
        args += extra
        args.append(url)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("curl \(url) failed with \(p.terminationStatus)") }
        return try parse(data, head: method == "HEAD")
    }

    static func parse(_ data: Data, head: Bool) throws -> HTTPResult {
        let separator = Data("\r\n\r\n".utf8)
        guard let range = data.range(of: separator) else { throw TestFailure("no HTTP header block") }
        let headerText = String(decoding: data[..<range.lowerBound], as: UTF8.self)
        var lines = headerText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = head ? Data() : Data(data[range.upperBound...])
        return HTTPResult(status: status, headers: headers, body: body)
    }
}

/// Prometheus text parsed into samples: name{labels} -> value.
struct MetricSamples {
    struct Key: Hashable {
        var name: String
        var labels: [String: String]
    }
    var samples: [Key: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            var name = String(series)
            var labels: [String: String] = [:]
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                labels = Self.labels(String(series[series.index(after: brace)..<series.index(before: series.endIndex)]))
            }
            samples[Key(name: name, labels: labels)] = value
        }
    }

    /// Parses `a="x",b="y\"z"` with exposition escapes.
    static func labels(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var chars = Array(text)[...]
        while !chars.isEmpty {
            guard let eq = chars.firstIndex(of: "=") else { break }
            let key = String(chars[chars.startIndex..<eq])
            chars = chars[(eq + 2)...]  // skip ="
            var value = ""
            while let c = chars.first, c != "\"" {
                chars = chars.dropFirst()
                if c == "\\", let next = chars.first {
                    chars = chars.dropFirst()
                    value.append(next == "n" ? "\n" : next)
                } else {
                    value.append(c)
                }
            }
            chars = chars.dropFirst()  // closing quote
            if chars.first == "," { chars = chars.dropFirst() }
            result[key] = value
        }
        return result
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples[Key(name: name, labels: labels)]
    }

    func names() -> Set<String> { Set(samples.keys.map(\.name)) }

    func series(_ name: String) -> [[String: String]] { samples.keys.filter { $0.name == name }.map(\.labels) }
}

/// Waits until `condition` holds, checking every 50 ms, up to `timeout` seconds.
func eventually(_ timeout: Double = 10, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: Error?
    while Date() < deadline {
        do {
            if try condition() { return }
        } catch {
            lastError = error
        }
        usleep(50_000)
    }
    throw TestFailure("timed out waiting for \(what)\(lastError.map { ": \($0)" } ?? "")")
}
