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
    public var count: Int {
        let n = node
        return n.kind == .array ? Int(n.count) : 0
    }

    /// The raw bytes of a string, status or error, shared with the batch (no copy).
    @inlinable
    var rawBytes: ArraySlice<UInt8> {
        let n = node
        let start = Int(n.value)
        return batch.storedBytes[start..<start + Int(n.count)]
    }

    /// The message of an error reply, else nil.
    public var errorMessage: String? {
        guard node.kind == .error else { return nil }
        return String(decoding: rawBytes, as: UTF8.self)
    }

    /// The bytes of a bulk string or status, else nil (as `RedisReply.bytes`: a status is text,
    /// so non-UTF-8 bytes in it read as U+FFFD).
    public var bytes: [UInt8]? {
        switch node.kind {
        case .string: return Array(rawBytes)
        case .status: return Array(String(decoding: rawBytes, as: UTF8.self).utf8)
        default: return nil
        }
    }

    /// `bytes` without a copy when it is a bulk string (the hot path).
    @inlinable
    public var byteSlice: ArraySlice<UInt8>? {
        switch node.kind {
        case .string: return rawBytes
        case .status: return bytes.map { $0[...] }
        default: return nil
        }
    }

    /// The text of a bulk string or status (lossy for non-UTF-8 bytes), else nil.
    public var text: String? {
        switch node.kind {
        case .string, .status: return String(decoding: rawBytes, as: UTF8.self)
        default: return nil
        }
    }

    /// Whether this is a bulk string or status whose text is exactly `key` (ASCII): what
    /// `text == key` says, without building a `String`.
    @inlinable
    public func isText(_ key: [UInt8]) -> Bool {
        let n = node
        guard n.kind == .string || n.kind == .status, Int(n.count) == key.count else { return false }
        return rawBytes.elementsEqual(key)
    }

    /// An integer reply, or a bulk string holding a decimal integer (as `RedisReply.int`).
    @inlinable
    public var int: Int64? {
        let n = node
        switch n.kind {
        case .integer: return n.value
        case .string: return Self.decimal(rawBytes)
        default: return nil
        }
    }

    /// `Int64(String(decoding: digits, as: UTF8.self))`, with a fast path for plain decimals.
    @inlinable
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        var i = digits.startIndex
        let negative = i < digits.endIndex && digits[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let length = digits.endIndex - i
        guard length > 0, length <= 18 else { return Int64(String(decoding: digits, as: UTF8.self)) }
        var value: Int64 = 0
        while i < digits.endIndex {
            let d = digits[i] &- UInt8(ascii: "0")
            guard d < 10 else { return Int64(String(decoding: digits, as: UTF8.self)) }
            value = value &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -value : value
    }

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
    var end: Int {
        let n = node
        return n.kind == .array ? Int(n.value) : index + 1
    }

    /// The same reply as a `RedisReply` tree (allocates: small paths and tests).
    public func materialize() -> RedisReply {
        switch node.kind {
        case .string: return .string(Array(rawBytes))
        case .status: return .status(String(decoding: rawBytes, as: UTF8.self))
        case .error: return .error(String(decoding: rawBytes, as: UTF8.self))
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
