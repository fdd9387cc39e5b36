import Testing
@testable import LagCore

@Suite("ProcessStats.parse")
struct ProcessStatsTests {
    /// A real /proc/self/stat line whose command name holds spaces and parentheses.
    static let stat = "1234 (my (weird) exe) S 1 1234 1234 0 -1 4194560 2573 0 3 0 1250 375 0 0 20 0 9 0 94060 735993856 6789 18446744073709551615 94472473354240 94472473374121 140731306608336 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94472473390128 94472473391744 94472668086272 140731306613259 140731306613279 140731306613279 140731306614763 0\n"
    static let systemStat = "cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 1795938249\nprocesses 7\n"
    static let limits = """
        Limit                     Soft Limit           Hard Limit           Units     
        Max cpu time              unlimited            unlimited            seconds   
        Max open files            20000                524288               files     
        Max locked memory         8388608              8388608              bytes     

        """

    @Test("command name with spaces and parentheses")
    func weirdName() {
        let p = ProcessStats.parse(stat: Self.stat, systemStat: Self.systemStat, limits: Self.limits, openFDs: 17)
        #expect(p == ProcessStats(cpuSeconds: 16.25, residentBytes: 6789 * 4096, virtualBytes: 735_993_856,
                                  openFDs: 17, maxFDs: 20000, startTimeSeconds: 1_795_938_249 + 940.6))
    }

    @Test("clock ticks and page size are honoured; unlimited fds is nil")
    func ticksAndPages() {
        let limits = "Max open files            unlimited            unlimited            files     \n"
        let p = ProcessStats.parse(stat: Self.stat, systemStat: Self.systemStat, limits: limits, openFDs: 3,
                                   clockTicks: 250, pageSize: 16384)
        #expect(p == ProcessStats(cpuSeconds: 6.5, residentBytes: 6789 * 16384, virtualBytes: 735_993_856,
                                  openFDs: 3, maxFDs: nil, startTimeSeconds: 1_795_938_249 + 376.24))
    }

    @Test("a name that fakes the fields after it")
    func fakeFields() {
        let stat = "99 (x) R 1 2 3) S 1 1234 1234 0 -1 4194560 2573 0 3 0 100 100 0 0 20 0 9 0 500 4096 2 0\n"
        let p = ProcessStats.parse(stat: stat, systemStat: "btime 1000\n", limits: "", openFDs: 1)
        #expect(p == ProcessStats(cpuSeconds: 2, residentBytes: 8192, virtualBytes: 4096,
                                  openFDs: 1, maxFDs: nil, startTimeSeconds: 1005))
    }

    @Test("lines it cannot read give nil", arguments: [
        "", "1234 my exe S 1 2", "1234 (exe) S 1 1234 1234 0 -1 4194560 2573 0 3 0 1250",
    ])
    func unreadable(stat: String) {
        #expect(ProcessStats.parse(stat: stat, systemStat: Self.systemStat, limits: Self.limits, openFDs: 1) == nil)
    }
}
