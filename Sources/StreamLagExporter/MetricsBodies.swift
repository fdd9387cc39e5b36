import Gzip
import HTTPServer
import LagCore
import Synchronization

/// The `/metrics` answers of one publication. Each variant (text or OpenMetrics, plain or gzip,
/// current data or only the exporter's own families) is rendered and compressed at most once,
/// then handed out as the same prepared response to every request: the ones clients asked for
/// lately at publish time (`BodyDemand`), the others when first asked for.
final class MetricsBodies: Sendable {
    struct Variant: Hashable {
        var format: ExpositionFormat
        var gzip: Bool
        /// False: only the exporter's own families and `event_redis_up 0` (stale data).
        var current: Bool
    }

    /// The snapshot whose lag figures may be served, nil when the last poll failed.
    private let current: Snapshot?
    private let status: ExporterStatus
    private let build: BuildInfo
    private let process: ProcessStats?
    private let variants = PreparedVariants<Variant>()
    private let laidOut = Mutex<SnapshotTables?>(nil)

    /// The sizes of the tables laid out, if any: the next publication's are sized from them.
    var tableSizes: SnapshotTables.Sizes? { laidOut.withLock { $0?.sizes } }
    private let sizedLike: SnapshotTables.Sizes?
    /// The largest plain body held whole (bytes).
    static let heldPlainLimit = 2 << 20

    init(current: Snapshot?, status: ExporterStatus, build: BuildInfo, prerender: [Variant],
         sizedLike: SnapshotTables.Sizes? = nil) {
        self.current = current
        self.sizedLike = sizedLike
        self.status = status
        self.build = build
        process = ProcessStats.current()
        // What clients asked for lately is made now, on the poller thread, so that their next
        // scrape does not wait for it.
        for variant in Set(prerender.map { Variant(format: $0.format, gzip: $0.gzip, current: $0.current && current != nil) }) {
            _ = response(variant)
        }
    }

    /// The prepared answer for `wanted` (current data only when there is some).
    func response(_ wanted: Variant) -> PreparedResponse {
        let variant = Variant(format: wanted.format, gzip: wanted.gzip, current: wanted.current && current != nil)
        return variants.response(variant) { render(variant) }
    }

    private func render(_ variant: Variant) -> PreparedResponse {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", variant.format.contentType), ("Vary", "Accept, Accept-Encoding"),
        ]
        let layout = MetricsLayout(tables: variant.current ? tables() : nil, status: status, build: build,
                                   process: process, format: variant.format)
        if !variant.gzip {
            // A small body (up to `heldPlainLimit`: about 1,400 streams of one group) is held and copied out to
            // each request: written for each request, it cost a third of the throughput of a
            // memory copy at 103 streams (8,618 against nginx's 23,386 req/s, wrk).
            if layout.byteCount <= Self.heldPlainLimit {
                var body: [UInt8] = []
                body.reserveCapacity(layout.byteCount)
                MetricsRenderer.write(layout) { body.append(contentsOf: $0) }
                return PreparedResponse(body: body, headers: headers)
            }
            // A larger one is not held: written for each request as it is sent, from the tables
            // (a sixth of the body), so that a 150 MB body (100k streams) never sits in memory,
            // once or twice.
            return PreparedResponse(streaming: StreamedMetrics(layout: layout), headers: headers)
        }
        // Compressed as it is written: the uncompressed body never exists whole.
        let compressor = GzipStream()
        MetricsRenderer.write(layout, into: compressor.append)
        if let compressed = compressor.finish() {
            headers.append(("Content-Encoding", "gzip"))
            return PreparedResponse(body: compressed, headers: headers)
        }
        // zlib failed (out of memory): the plain body, uncompressed.
        return PreparedResponse(streaming: StreamedMetrics(layout: layout), headers: headers)
    }

    /// The current snapshot's tables, laid out by the first body that needs them (every body
    /// with current data, text or OpenMetrics, plain or gzip, is written from them).
    private func tables() -> SnapshotTables? {
        guard let current else { return nil }
        return laidOut.withLock { tables in
            if let tables { return tables }
            let made = SnapshotTables(current, sizedLike: sizedLike)
            tables = made
            return made
        }
    }
}

/// A `/metrics` body written from its layout for each request, as it is sent.
struct StreamedMetrics: StreamedBody {
    let layout: MetricsLayout
    var byteCount: Int { layout.byteCount }
    func makeReader() -> any StreamedBodyReader { Reader(layout) }

    final class Reader: StreamedBodyReader {
        private var cursor: MetricsLayout.Cursor
        init(_ layout: MetricsLayout) { cursor = MetricsLayout.Cursor(layout) }
        func read(into chunk: inout [UInt8]) -> Bool { cursor.write(into: &chunk, atLeast: 48 * 1024) }
    }
}
