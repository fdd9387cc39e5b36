/// A snapshot's series, laid out once a publication for every `/metrics` body made from it: one
/// table a kind of row (group, consumer, stream), each with its rows' escaped label blocks in
/// one buffer and every family's value of each row already written as text. A body is then a
/// walk over the tables that copies bytes: no snapshot reads, no escaping, no number formatting.
///
/// The tables are a small part of the body they make (at 10,000 streams about 2.5 MB for a
/// 15 MB body): the exporter keeps them, not the plain body, and writes the body for each
/// request as it is sent (`MetricsLayout.Cursor`).
public final class SnapshotTables: Sendable {
    let tables: [SeriesTable]

    /// The sizes of each table's buffers, to size the next poll's tables from (they change
    /// little from one poll to the next).
    public struct Sizes: Sendable {
        fileprivate let tables: [SeriesTable.Sizes]
    }

    public var sizes: Sizes { Sizes(tables: tables.map(\.sizes)) }

    /// Every value is read once, in one walk of the snapshot for the three tables. (Walking the
    /// snapshot once a family read each group's storage 13 times, a cache miss each time at
    /// 100,000 streams.)
    ///
    /// `sizedLike`: the last publication's sizes. With them each buffer is allocated once, a
    /// little larger, instead of grown by doubling and then cut to size: at 100,000 streams the
    /// growing buffers and their cut copies were most of the heap's peak, next to the tables
    /// still served (massif).
    public init(_ snapshot: Snapshot, sizedLike previous: Sizes? = nil) {
        // A stale stream (its cluster node down) shows no series: no frozen figures.
        let stale = snapshot.streams.indices.contains { snapshot.streams[$0].stale }
        let streams = stale ? snapshot.streams.filter { !$0.stale } : snapshot.streams
        let nowMs = snapshot.redisTimeMs

        // One walk fills the three tables, each row's values added in its table's family order
        // straight from the group, consumer or stream read in place. A stream's and a group's
        // label is escaped once and copied into every row that carries it. (A list of (family,
        // closure) pairs read by index copied each pair, the family's strings retained and
        // released, 13 times a group; and each row's labels were escaped again from an array
        // of strings made for it: a third of this walk at 100,000 streams, perf.)
        var groups = SeriesTable.Builder(Self.groupFamilies, sizedLike: previous?.tables[0])
        var consumers = SeriesTable.Builder(Self.consumerFamilies, sizedLike: previous?.tables[1])
        var streamTable = SeriesTable.Builder(Self.streamFamilies, sizedLike: previous?.tables[2])
        // stream, consumer_group, consumer: a group row's labels are the first two.
        let labels = MetricFamily.instancePending.labels
        precondition(MetricFamily.consumerLag.labels == Array(labels[..<2]) && MetricFamily.streamLength.labels == [labels[0]])
        var streamLabel: [UInt8] = [], groupLabel: [UInt8] = [], consumerLabel: [UInt8] = []
        for si in streams.indices {
            streamLabel.removeAll(keepingCapacity: true)
            TextWriter.appendLabel(labels[0], streams[si].name.display, to: &streamLabel)
            for gi in streams[si].groups.indices where streams[si].groups[gi].exists {
                groupLabel.removeAll(keepingCapacity: true)
                TextWriter.appendLabel(labels[1], streams[si].groups[gi].name.display, to: &groupLabel)
                groups.addRow(streamLabel, groupLabel)
                Self.addValues(of: streams[si].groups[gi], nowMs: nowMs, to: &groups)
                for ci in streams[si].groups[gi].consumers.indices {
                    consumerLabel.removeAll(keepingCapacity: true)
                    TextWriter.appendLabel(labels[2], streams[si].groups[gi].consumers[ci].name.display, to: &consumerLabel)
                    consumers.addRow(streamLabel, groupLabel, consumerLabel)
                    Self.addValues(of: streams[si].groups[gi].consumers[ci], to: &consumers)
                }
            }
            if streams[si].exists {
                streamTable.addRow(streamLabel)
                Self.addValues(of: streams[si], nowMs: nowMs, to: &streamTable)
            }
        }
        tables = [groups.finish(), consumers.finish(), streamTable.finish()]
    }

    /// A group row's families, in the order `addValues(of:GroupState…)` adds their values.
    private static let groupFamilies: [MetricFamily] = [
        .consumerLag, .consumerLagExact, .consumerLagSeconds, .consumerPending, .oldestPendingIdle,
        .oldestPendingDeliveries, .entriesRead, .lastDeliveredTimestamp, .groupConsumers, .stalled,
        .lagStatus, .drainSeconds, .rewinds,
    ]

    private static func addValues(of group: borrowing GroupState, nowMs: Int64, to table: inout SeriesTable.Builder) {
        table.add(group.lag.map(Double.init))
        table.add(group.lag == nil ? nil : (group.lagExact ? 1 : 0))
        table.add(group.lagSeconds)
        table.add(Double(group.pending))
        table.add(group.oldestPendingIdleSeconds)
        table.add(group.oldestPendingDeliveries.map(Double.init))
        table.add(group.entriesRead.map(Double.init))
        table.add(Collector.timestamp(of: group.lastDeliveredID, nowMs: nowMs))
        table.add(Double(group.consumerCount))
        table.add(group.stalled ? 1 : 0)
        table.add(Double(group.status.rawValue))
        table.add(group.drainSeconds)
        table.add(Double(group.rewinds))
    }

    /// A consumer row's families, in the order `addValues(of:ConsumerState…)` adds their values.
    private static let consumerFamilies: [MetricFamily] = [.instancePending, .instanceIdle, .instanceInactive]

    private static func addValues(of consumer: borrowing ConsumerState, to table: inout SeriesTable.Builder) {
        table.add(Double(consumer.pending))
        table.add(consumer.idleSeconds)
        table.add(consumer.inactiveSeconds)
    }

    /// A stream row's families, in the order `addValues(of:StreamState…)` adds their values.
    private static let streamFamilies: [MetricFamily] = [
        .streamLength, .streamGroups, .streamEntriesAdded, .streamLastEntryTimestamp,
    ]

    private static func addValues(of stream: borrowing StreamState, nowMs: Int64, to table: inout SeriesTable.Builder) {
        table.add(Double(stream.length))
        table.add(Double(stream.groupCount))
        table.add(stream.entriesAdded.map(Double.init))
        table.add(Collector.timestamp(of: stream.lastEntryID, nowMs: nowMs))
    }

    /// Bytes held (label blocks, value text and their offsets), for the exporter's own figures
    /// and the benchmarks.
    public var heldBytes: Int { tables.reduce(0) { $0 + $1.heldBytes } }
}

/// The series of several families that share their label sets (one row a group, consumer or
/// stream): the escaped label blocks in one buffer, and each row's value of each family as text
/// in another (an empty value: no sample).
struct SeriesTable: Sendable {
    let families: [MetricFamily]
    /// Each family's name, as the samples start.
    let names: [[UInt8]]
    let blocks: [UInt8]
    /// Where each row's label block ends in `blocks` (it starts where the row before ends).
    let blockEnds: [UInt32]
    let values: [UInt8]
    /// Where each cell's value ends in `values`, cells row by row (`row * families.count + k`).
    let valueEnds: [UInt32]
    /// The bytes of each family's samples, headers not included (0: the family is left out).
    let sampleBytes: [Int]

    var heldBytes: Int { blocks.capacity + values.capacity + 4 * (blockEnds.capacity + valueEnds.capacity) }

    struct Sizes: Sendable {
        var blocks = 0, blockEnds = 0, values = 0, valueEnds = 0
    }

    var sizes: Sizes {
        Sizes(blocks: blocks.count, blockEnds: blockEnds.count, values: values.count, valueEnds: valueEnds.count)
    }

    /// Filled row by row: a row's labels, then its value of each family in the table's order.
    struct Builder {
        let families: [MetricFamily]
        private var blocks: [UInt8] = []
        private var blockEnds: [UInt32] = []
        private var values: [UInt8] = []
        private var valueEnds: [UInt32] = []
        private var sampleBytes: [Int]
        private let nameBytes: [Int]

        init(_ families: [MetricFamily], sizedLike previous: Sizes? = nil) {
            self.families = families
            sampleBytes = Array(repeating: 0, count: families.count)
            nameBytes = families.map(\.name.utf8.count)
            if let previous {
                // 3% and a little more: a poll that finds a few more streams still fits.
                func room(_ n: Int) -> Int { n + n / 32 + 256 }
                blocks.reserveCapacity(room(previous.blocks))
                blockEnds.reserveCapacity(room(previous.blockEnds))
                values.reserveCapacity(room(previous.values))
                valueEnds.reserveCapacity(room(previous.valueEnds))
            }
        }

        /// Starts a row: its label block, `{` the labels `}`, from labels already escaped
        /// (`name="value"` each; `TextWriter.appendLabel`): one, two or three of them. (Not a
        /// variadic list: that would be an array made for every row.)
        mutating func addRow(_ a: [UInt8], _ b: [UInt8]? = nil, _ c: [UInt8]? = nil) {
            blocks.append(UInt8(ascii: "{"))
            blocks.append(contentsOf: a)
            if let b {
                blocks.append(UInt8(ascii: ","))
                blocks.append(contentsOf: b)
            }
            if let c {
                blocks.append(UInt8(ascii: ","))
                blocks.append(contentsOf: c)
            }
            blocks.append(UInt8(ascii: "}"))
            blockEnds.append(UInt32(blocks.count))
        }

        /// The row's value of the next family (nil: no sample).
        mutating func add(_ value: Double?) {
            let k = valueEnds.count % families.count
            if let value {
                let start = values.count
                TextWriter.appendValue(value, to: &values)
                let blockStart = blockEnds.count > 1 ? Int(blockEnds[blockEnds.count - 2]) : 0
                // name, labels, " ", value, "\n"
                sampleBytes[k] += nameBytes[k] + (blocks.count - blockStart) + 1 + (values.count - start) + 1
            }
            valueEnds.append(UInt32(values.count))
        }

        /// The table, its buffers cut to size (grown by doubling, they held up to twice their
        /// bytes for as long as the publication lives).
        func finish() -> SeriesTable {
            // What the cursor's unchecked reads rely on: offsets that only grow, within their buffers.
            precondition(zip(blockEnds, blockEnds.dropFirst()).allSatisfy { $0 <= $1 } && (blockEnds.last ?? 0) <= blocks.count)
            precondition(zip(valueEnds, valueEnds.dropFirst()).allSatisfy { $0 <= $1 } && (valueEnds.last ?? 0) <= values.count)
            precondition(valueEnds.count == blockEnds.count * families.count)
            return SeriesTable(families: families, names: families.map { Array($0.name.utf8) }, blocks: fitted(blocks),
                        blockEnds: fitted(blockEnds), values: fitted(values), valueEnds: fitted(valueEnds),
                        sampleBytes: sampleBytes)
        }

        /// `array`, or a copy of it without the unused capacity when that is more than a
        /// sixteenth (a buffer sized from the last poll is kept as it is).
        private func fitted<T>(_ array: [T]) -> [T] {
            guard array.capacity - array.count > array.count / 16 + 256 else { return array }
            var copy: [T] = []
            copy.reserveCapacity(array.count)
            copy.append(contentsOf: array)
            return copy
        }
    }
}

/// One `/metrics` body (text or OpenMetrics) of a publication: the snapshot's tables, then the
/// exporter's own families, whose size is known before a byte is written.
public final class MetricsLayout: Sendable {
    /// A table's families, each with its HELP and TYPE lines (nil: no sample, left out).
    /// (Structs, not an enum of pieces: an enum's tag kept in a payload pointer's spare bits
    /// hides that pointer from LeakSanitizer, which then reports the live layout as leaked.)
    private struct LaidOutTable: Sendable {
        let table: SeriesTable
        let headers: [[UInt8]?]
    }
    private let tables: [LaidOutTable]
    /// The exporter's own families (and OpenMetrics' `# EOF`), after the tables.
    private let trailer: [UInt8]
    /// The body's size in bytes, exactly what a cursor writes.
    public let byteCount: Int

    /// The body for `tables` (nil: no current data, only the exporter's own families).
    public convenience init(tables: SnapshotTables?, status: ExporterStatus, build: BuildInfo, process: ProcessStats?,
                            format: ExpositionFormat) {
        self.init(tables: tables, status: status, build: build, process: process, format: format, exporterFamilies: true)
    }

    /// `exporterFamilies` false: the tables' families only (`MetricsRenderer.snapshotFamilies`).
    init(tables: SnapshotTables?, status: ExporterStatus, build: BuildInfo, process: ProcessStats?,
         format: ExpositionFormat, exporterFamilies: Bool) {
        var laidOut: [LaidOutTable] = []
        var count = 0
        for table in tables?.tables ?? [] {
            let headers: [[UInt8]?] = table.families.indices.map { k in
                guard table.sampleBytes[k] > 0 else { return nil }
                var w = TextWriter(format: format)
                w.family(table.families[k])
                return w.bytes
            }
            count += zip(headers, table.sampleBytes).reduce(0) { $0 + ($1.0?.count ?? 0) + $1.1 }
            laidOut.append(LaidOutTable(table: table, headers: headers))
        }
        var w = TextWriter(format: format)
        if exporterFamilies {
            MetricsRenderer.writeExporterFamilies(status, redisUp: tables != nil, build: build, process: process, into: &w)
            if format == .openMetrics { w.bytes.append("# EOF\n") }
        }
        count += w.bytes.count
        self.tables = laidOut
        trailer = w.bytes
        byteCount = count
    }

    public convenience init(snapshot: Snapshot?, status: ExporterStatus, build: BuildInfo, process: ProcessStats?,
                            format: ExpositionFormat) {
        self.init(tables: snapshot.map { SnapshotTables($0) }, status: status, build: build, process: process, format: format)
    }

    /// The whole body (tests, small bodies).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        var cursor = Cursor(self)
        while cursor.write(into: &out, atLeast: Int.max) {}
        return out
    }

    /// Writes the body from its first byte, in pieces, for one reader.
    public struct Cursor: Sendable {
        private let layout: MetricsLayout
        private var piece = 0
        private var family = 0
        private var row = 0
        private var headerDone = false

        public init(_ layout: MetricsLayout) { self.layout = layout }

        /// Appends the body's next bytes to `out` until it holds at least `atLeast` bytes (a
        /// sample or header is never cut; the last piece may leave it shorter). False once the
        /// whole body has been written, with nothing appended.
        public mutating func write(into out: inout [UInt8], atLeast: Int) -> Bool {
            let before = out.count
            let tables = layout.tables
            // Pieces: each table, then the trailer.
            while piece <= tables.count, out.count < atLeast {
                guard piece < tables.count else {
                    out.append(contentsOf: layout.trailer)
                    piece += 1
                    break
                }
                let table = tables[piece].table
                guard family < table.families.count else {
                    piece += 1
                    family = 0
                    continue
                }
                guard let header = tables[piece].headers[family] else {
                    family += 1
                    continue
                }
                if !headerDone {
                    out.append(contentsOf: header)
                    headerDone = true
                    row = 0
                }
                writeSamples(table, into: &out, atLeast: atLeast)
                if row == table.blockEnds.count {
                    family += 1
                    headerDone = false
                }
            }
            return out.count > before
        }

        /// The current family's samples from `row` on, until `out` holds `atLeast` bytes. The
        /// table's buffers are read through buffer pointers: as array slices, every sample
        /// retained and released them, which took more time than the copying (perf, 10,000
        /// streams under wrk: `swift_retain` and `swift_release` 28% of the samples). The
        /// offsets were checked when the table was made (`SeriesTable.init`).
        private mutating func writeSamples(_ table: SeriesTable, into out: inout [UInt8], atLeast: Int) {
            let k = family
            let stride = table.families.count
            var row = self.row
            defer { self.row = row }
            table.names[k].withUnsafeBufferPointer { name in
                table.blocks.withUnsafeBufferPointer { blocks in
                    table.values.withUnsafeBufferPointer { values in
                        table.blockEnds.withUnsafeBufferPointer { blockEnds in
                            table.valueEnds.withUnsafeBufferPointer { valueEnds in
                                while row < blockEnds.count, out.count < atLeast {
                                    let cell = row * stride + k
                                    let valueStart = cell == 0 ? 0 : Int(valueEnds[cell - 1])
                                    let valueEnd = Int(valueEnds[cell])
                                    if valueEnd > valueStart {
                                        let blockStart = row == 0 ? 0 : Int(blockEnds[row - 1])
                                        out.append(contentsOf: name)
                                        out.append(contentsOf: UnsafeBufferPointer(rebasing: blocks[blockStart..<Int(blockEnds[row])]))
                                        out.append(UInt8(ascii: " "))
                                        out.append(contentsOf: UnsafeBufferPointer(rebasing: values[valueStart..<valueEnd]))
                                        out.append(UInt8(ascii: "\n"))
                                    }
                                    row += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
