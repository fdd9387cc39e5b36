// Times what a publication does with a snapshot, without Redis: the `/metrics` bodies, the
// JSON bodies and the health findings, over a synthetic snapshot shaped like the benchmark's
// (`../shared/bench-peer/populate.py`: N streams of 50 entries, one group with lag and pending
// entries, one consumer). Prints the median of R runs of each, in milliseconds.
// Usage: stream-lag-renderbench [N streams, default 10000] [R runs, default 15]
import Foundation
import Gzip
import LagCore

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let n = arguments.first ?? 10_000
let runs = max(arguments.dropFirst().first ?? 15, 1)

/// A fixed-seed generator: the same snapshot every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Built the way a poll builds it: streams in reply order (here shuffled), with the poll's other
/// allocations in between, then sorted. A snapshot made in one tidy loop lies in memory in the
/// order it is read, which hides the cache misses of a real one at 100,000 streams.
func synthetic(streams n: Int) -> Snapshot {
    let nowMs: Int64 = 1_764_547_200_000
    var streams: [StreamState] = []
    streams.reserveCapacity(n)
    var random = SplitMix(state: 42)
    var between: [[UInt8]] = []
    for i in (0..<n).shuffled(using: &random) {
        between.append([UInt8](repeating: 0, count: Int.random(in: 16...600, using: &random)))
        var s = StreamState(name: Name("events:s\(i)"), presence: .exists)
        let first = UInt64(nowMs) - 60_000 + UInt64(i % 1000)
        s.length = 50
        s.groupCount = 1
        s.entriesAdded = 50
        s.firstEntryID = StreamID(ms: first, seq: 0)
        s.lastEntryID = StreamID(ms: first + 49, seq: 0)
        s.lastEntryAgeSeconds = Double(nowMs - Int64(first + 49)) / 1000
        var g = GroupState(name: Name("signalr-consumers"), exists: true)
        let read = 1 + i % 48
        g.lag = 50 - read
        g.lagSeconds = Double(50 - read) / 10
        g.pending = read / 2
        g.oldestPendingIdleSeconds = Double(i % 300) + 0.25
        g.oldestPendingDeliveries = 1
        g.lastDeliveredID = StreamID(ms: first + UInt64(read - 1), seq: 0)
        g.entriesRead = read
        g.status = Status.of(lag: 50 - read, stalled: false, thresholds: Thresholds())
        g.produceRate = 0.5
        g.consumeRate = 0.25
        g.drainSeconds = 120.5
        g.consumers = [ConsumerState(name: Name("instance-1"), pending: read / 2, idleSeconds: Double(i % 60) + 0.5,
                                     inactiveSeconds: nil)]
        g.consumerCount = 1
        s.groups = [g]
        streams.append(s)
    }
    between.removeAll()
    streams.sort { $0.name < $1.name }
    return Snapshot(collectedAt: Double(nowMs) / 1000, redisTimeMs: nowMs, streams: streams)
}

func milliseconds(_ body: () -> Int) -> (ms: Double, bytes: Int) {
    var times: [Double] = []
    var bytes = 0
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        bytes = body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return (times.sorted()[times.count / 2], bytes)
}

let snapshot = synthetic(streams: n)
let status = ExporterStatus()
let build = BuildInfo(version: "bench", swiftVersion: "6", hiredisVersion: "0.14", microhttpdVersion: "0.9")
let textLayout = MetricsLayout(snapshot: snapshot, status: status, build: build, process: nil, format: .text)
// The sink stands for the response being filled: each chunk is copied once into reused memory.
var sinkBuffer: [UInt8] = []
let cases: [(String, () -> Int)] = [
    ("text, plain", {
        sinkBuffer.removeAll(keepingCapacity: true)
        MetricsRenderer.render(snapshot: snapshot, status: status, build: build, process: nil, format: .text) {
            sinkBuffer.append(contentsOf: $0)
        }
        return sinkBuffer.count
    }),
    ("tables (layout)", {
        SnapshotTables(snapshot).heldBytes
    }),
    ("text, per request", {
        // What each request for plain text costs once the publication has laid its tables out.
        sinkBuffer.removeAll(keepingCapacity: true)
        MetricsRenderer.write(textLayout) { sinkBuffer.append(contentsOf: $0) }
        return sinkBuffer.count
    }),
    ("OpenMetrics, gzip", {
        let compressor = GzipStream()
        MetricsRenderer.render(snapshot: snapshot, status: status, build: build, process: nil, format: .openMetrics,
                               into: compressor.append)
        return compressor.finish()?.count ?? 0
    }),
    ("consumer-lag JSON", {
        sinkBuffer.removeAll(keepingCapacity: true)
        JSONRenderer.consumerLag(snapshot, redisConnected: true, stale: false) { sinkBuffer.append(contentsOf: $0) }
        return sinkBuffer.count
    }),
    ("health findings", {
        HealthFindings(snapshot: snapshot, thresholds: Thresholds()).count
    }),
]
print("streams \(n), median of \(runs) runs")
for (name, body) in cases {
    let (ms, bytes) = milliseconds(body)
    let padded = name + String(repeating: " ", count: max(0, 20 - name.count))
    print("\(padded) \(String(format: "%9.2f", ms)) ms  \(bytes) bytes")
}
