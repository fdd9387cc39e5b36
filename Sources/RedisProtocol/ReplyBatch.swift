/// One node of a flat reply: what a `RedisReply` case holds, without a heap object of its own.
/// Nodes are stored in pre-order (an array, then its elements, each with its own subtree), so an
/// array's first element is the next node and its subtree ends where `value` says.
public struct ReplyNode: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case string, status, error, integer, array, null
    }

    /// The integer of `.integer`; for `.string`, `.status` and `.error` the offset of the bytes in
    /// the batch; for `.array` the index of the node after its subtree (set when it is complete).
    public var value: Int64
    /// The byte count of a string, status or error; the element count of an array.
    public var count: UInt32
    public var kind: Kind

    @inlinable
    public init(kind: Kind, count: UInt32, value: Int64) {
        self.kind = kind
        self.count = count
        self.value = value
    }
}

/// Replies stored flat: every string's bytes in one buffer, every reply element a 16-byte
/// node in one array; no allocation per element. A reply reader fills one (the hiredis one in
/// `RedisClient` keeps one reply at a time), `ReplyView` reads it. A value type: a view kept
/// after the reader moved on still sees its own reply (the reader then gets new storage).
public struct ReplyBatch: Sendable {
    @usableFromInline var storedNodes: [ReplyNode] = []
    @usableFromInline var storedBytes: [UInt8] = []

    /// Every node, in pre-order.
    @inlinable public var nodes: [ReplyNode] { storedNodes }
    /// Every string's bytes, back to back.
    @inlinable public var bytes: [UInt8] { storedBytes }

    public init() {}

    /// The batch of one decoded reply (tests and fakes: the slow path).
    public init(_ reply: RedisReply) {
        append(reply)
    }

    /// The first reply of the batch.
    public var root: ReplyView { ReplyView(batch: self, index: 0) }

    public var isEmpty: Bool { nodes.isEmpty }

    /// Empties the batch, keeping its storage when no view holds it.
    @inlinable
    public mutating func removeAll() {
        removeAllNodes()
    }

    @usableFromInline
    mutating func removeAllNodes() {
        storedNodes.removeAll(keepingCapacity: true)
        storedBytes.removeAll(keepingCapacity: true)
    }

    /// Replaces the contents with nodes and bytes a reader built (contiguous copies).
    @inlinable
    public mutating func assign(nodes newNodes: some Collection<ReplyNode>, bytes newBytes: some Collection<UInt8>) {
        removeAllNodes()
        appendRaw(newNodes, newBytes)
    }

    @inlinable
    mutating func appendRaw(_ newNodes: some Collection<ReplyNode>, _ newBytes: some Collection<UInt8>) {
        storedNodes.append(contentsOf: newNodes)
        storedBytes.append(contentsOf: newBytes)
    }

    /// Appends a decoded reply, in pre-order.
    public mutating func append(_ reply: RedisReply) {
        switch reply {
        case .string(let b): appendText(.string, b)
        case .status(let s): appendText(.status, Array(s.utf8))
        case .error(let s): appendText(.error, Array(s.utf8))
        case .integer(let i): storedNodes.append(ReplyNode(kind: .integer, count: 0, value: i))
        case .null: storedNodes.append(ReplyNode(kind: .null, count: 0, value: 0))
        case .array(let items):
            let index = storedNodes.count
            storedNodes.append(ReplyNode(kind: .array, count: UInt32(items.count), value: 0))
            for item in items { append(item) }
            storedNodes[index].value = Int64(storedNodes.count)
        }
    }

    private mutating func appendText(_ kind: ReplyNode.Kind, _ b: [UInt8]) {
        storedNodes.append(ReplyNode(kind: kind, count: UInt32(b.count), value: Int64(storedBytes.count)))
        storedBytes.append(contentsOf: b)
    }
}

/// Reading by node index: what `ReplyView` offers, for loops that walk many nodes without a
/// view (and its reference counting) per node. `i` is a node index of this batch.
extension ReplyBatch {
    @inlinable
    public func kind(at i: Int) -> ReplyNode.Kind { storedNodes[i].kind }

    /// The element count of an array, else 0.
    @inlinable
    public func elementCount(at i: Int) -> Int {
        let n = storedNodes[i]
        return n.kind == .array ? Int(n.count) : 0
    }

    /// The index of the node after `i`'s subtree: its next sibling.
    @inlinable
    public func end(of i: Int) -> Int {
        let n = storedNodes[i]
        return n.kind == .array ? Int(n.value) : i + 1
    }

    /// Where the bytes of a string, status or error lie in `bytes`, else nil.
    @inlinable
    public func byteRange(at i: Int) -> Range<Int>? {
        let n = storedNodes[i]
        switch n.kind {
        case .string, .status, .error: return Int(n.value)..<Int(n.value) + Int(n.count)
        default: return nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (as `RedisReply.int`).
    @inlinable
    public func int(at i: Int) -> Int64? {
        let n = storedNodes[i]
        switch n.kind {
        case .integer: return n.value
        case .string: return Self.decimal(storedBytes, Int(n.value)..<Int(n.value) + Int(n.count))
        default: return nil
        }
    }

    /// `Int64(String(decoding: bytes[range], as: UTF8.self))`, with a fast path for plain decimals.
    @inlinable
    static func decimal(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        let negative = i < range.upperBound && bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let length = range.upperBound - i
        guard length > 0, length <= 18 else { return Int64(String(decoding: bytes[range], as: UTF8.self)) }
        var value: Int64 = 0
        while i < range.upperBound {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return Int64(String(decoding: bytes[range], as: UTF8.self)) }
            value = value &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -value : value
    }

    /// Whether node `i` is a bulk string or status whose text is exactly `key` (ASCII): what
    /// `text == key` says, without building a `String`.
    @inlinable
    public func isText(at i: Int, _ key: [UInt8]) -> Bool {
        let n = storedNodes[i]
        guard n.kind == .string || n.kind == .status, Int(n.count) == key.count else { return false }
        var p = Int(n.value)
        for byte in key {
            guard storedBytes[p] == byte else { return false }
            p += 1
        }
        return true
    }

    /// The bytes of a bulk string or status, else nil (a status is text: non-UTF-8 bytes in
    /// it read as U+FFFD, as `RedisReply.bytes` says).
    public func bytes(at i: Int) -> [UInt8]? {
        let n = storedNodes[i]
        switch n.kind {
        case .string: return Array(storedBytes[Int(n.value)..<Int(n.value) + Int(n.count)])
        case .status: return Array(String(decoding: storedBytes[Int(n.value)..<Int(n.value) + Int(n.count)], as: UTF8.self).utf8)
        default: return nil
        }
    }

    /// The text of a bulk string or status (lossy for non-UTF-8 bytes), else nil.
    public func text(at i: Int) -> String? {
        let n = storedNodes[i]
        switch n.kind {
        case .string, .status: return String(decoding: storedBytes[Int(n.value)..<Int(n.value) + Int(n.count)], as: UTF8.self)
        default: return nil
        }
    }

    /// The message of an error reply, else nil.
    public func errorMessage(at i: Int) -> String? {
        let n = storedNodes[i]
        guard n.kind == .error else { return nil }
        return String(decoding: storedBytes[Int(n.value)..<Int(n.value) + Int(n.count)], as: UTF8.self)
    }
}

/// One reply (or element) in a `ReplyBatch`: the `RedisReply` accessors, read from the flat
/// nodes. Copies bytes only when asked for an array or a `String`.
public struct ReplyView: Sendable {
    public let batch: ReplyBatch
    public let index: Int

    @inlinable
    public init(batch: ReplyBatch, index: Int) {
        self.batch = batch
        self.index = index
    }

    /// A view of a decoded reply (builds a batch: tests, fakes and small paths).
    public init(_ reply: RedisReply) {
        self.init(batch: ReplyBatch(reply), index: 0)
    }

    @inlinable
    var node: ReplyNode { batch.storedNodes[index] }

    @inlinable
    public var kind: ReplyNode.Kind { node.kind }

    @inlinable
    public var isNull: Bool { node.kind == .null }

    @inlinable
    public var isError: Bool { node.kind == .error }

    @inlinable
    public var isArray: Bool { node.kind == .array }

    /// The element count of an array, else 0.
    @inlinable
    public var count: Int { batch.elementCount(at: index) }

    /// The message of an error reply, else nil.
    public var errorMessage: String? { batch.errorMessage(at: index) }

    /// The bytes of a bulk string or status, else nil (as `RedisReply.bytes`: a status is text,
    /// so non-UTF-8 bytes in it read as U+FFFD).
    public var bytes: [UInt8]? { batch.bytes(at: index) }

    /// `bytes` without a copy when it is a bulk string.
    public var byteSlice: ArraySlice<UInt8>? {
        switch node.kind {
        case .string: return batch.storedBytes[batch.byteRange(at: index)!]
        case .status: return bytes.map { $0[...] }
        default: return nil
        }
    }

    /// The text of a bulk string or status (lossy for non-UTF-8 bytes), else nil.
    public var text: String? { batch.text(at: index) }

    /// Whether this is a bulk string or status whose text is exactly `key` (ASCII).
    @inlinable
    public func isText(_ key: [UInt8]) -> Bool { batch.isText(at: index, key) }

    /// An integer reply, or a bulk string holding a decimal integer (as `RedisReply.int`).
    @inlinable
    public var int: Int64? { batch.int(at: index) }

    /// The elements of an array (none for anything else), in order.
    @inlinable
    public var elements: Elements { Elements(self) }

    /// The first element of an array, else nil.
    @inlinable
    public var first: ReplyView? {
        count > 0 ? ReplyView(batch: batch, index: index + 1) : nil
    }

    /// The index of the node after this one's subtree.
    @inlinable
    var end: Int { batch.end(of: index) }

    /// The same reply as a `RedisReply` tree (allocates: small paths and tests).
    public func materialize() -> RedisReply {
        switch node.kind {
        case .string: return .string(bytes ?? [])
        case .status: return .status(text ?? "")
        case .error: return .error(errorMessage ?? "")
        case .integer: return .integer(node.value)
        case .null: return .null
        case .array: return .array(elements.map { $0.materialize() })
        }
    }

    public struct Elements: Sequence, IteratorProtocol {
        @usableFromInline let batch: ReplyBatch
        @usableFromInline var position: Int
        @usableFromInline var remaining: Int

        @inlinable
        init(_ view: ReplyView) {
            batch = view.batch
            position = view.index + 1
            remaining = view.count
        }

        @inlinable
        public var underestimatedCount: Int { remaining }

        @inlinable
        public mutating func next() -> ReplyView? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let view = ReplyView(batch: batch, index: position)
            position = view.end
            return view
        }
    }
}
