import Foundation

/// The standard `process_*` figures, read from /proc (Linux).
public struct ProcessStats: Sendable, Equatable {
    public var cpuSeconds: Double
    public var residentBytes: Int
    public var virtualBytes: Int
    public var openFDs: Int
    public var maxFDs: Int?
    public var startTimeSeconds: Double

    /// Parses `/proc/self/stat`, the `btime` line of `/proc/stat` and `/proc/self/limits`. Pure.
    public static func parse(stat: String, systemStat: String, limits: String, openFDs: Int,
                             clockTicks: Double = 100, pageSize: Int = 4096) -> ProcessStats? {
        // Fields after the command name, which is in parentheses and may hold spaces.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
        func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22),
              let vsize = field(23), let rss = field(24) else { return nil }
        let btime = systemStat.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? 0
        var maxFDs: Int?
        if let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) {
            maxFDs = line.dropFirst("Max open files".count).split(separator: " ").first.flatMap { Int($0) }
        }
        return ProcessStats(
            cpuSeconds: (utime + stime) / clockTicks, residentBytes: Int(rss) * pageSize,
            virtualBytes: Int(vsize), openFDs: openFDs, maxFDs: maxFDs,
            startTimeSeconds: btime + start / clockTicks)
    }

    /// Reads the current process' figures; nil where /proc is not available.
    public static func current() -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let limits = try? String(contentsOfFile: "/proc/self/limits", encoding: .utf8)
        else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return parse(stat: stat, systemStat: system, limits: limits, openFDs: fds,
                     clockTicks: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    func render(into w: inout TextWriter) {
        var figures: [(MetricFamily, Double)] = [
            (.processCPU, cpuSeconds), (.processResident, Double(residentBytes)),
            (.processVirtual, Double(virtualBytes)), (.processOpenFDs, Double(openFDs)),
        ]
        if let maxFDs { figures.append((.processMaxFDs, Double(maxFDs))) }
        figures.append((.processStart, startTimeSeconds))
        for (family, value) in figures {
            w.family(family)
            w.sample(family, value)
        }
    }
}
