internal import CHiredis
internal import RedisProtocol

/// hiredis' RESP reader with object functions that build no objects: each element it parses
/// becomes a `ReplyNode` appended to one node buffer, each string's bytes go to one byte
/// buffer, and the "object" hiredis keeps for an element is its node index (plus one, never
/// NULL). One reply at a time: once hiredis hands over a whole reply it is copied into a
/// `ReplyBatch` (two memcpys, into storage reused from the previous reply) and the buffers
/// start again.
final class FlatReplyReader {
    let reader: UnsafeMutablePointer<redisReader>
    private let state: UnsafeMutablePointer<FlatReplyState>

    init?() {
        guard let reader = redisReaderCreateWithFunctions(flatReplyFunctions) else { return nil }
        self.reader = reader
        state = .allocate(capacity: 1)
        state.initialize(to: FlatReplyState())
        reader.pointee.privdata = UnsafeMutableRawPointer(state)
    }

    deinit {
        redisReaderFree(reader)
        state.pointee.release()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Feeds received bytes to the reader.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) == REDIS_OK
    }

    /// The next whole reply, moved into `batch` (true), or false when more bytes are needed.
    /// Throws the reader's words for a protocol error.
    func next(into batch: inout ReplyBatch) throws(RedisError) -> Bool {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            let message = state.pointee.failure ?? Self.text(of: reader)
            state.pointee.reset()
            throw RedisError(.proto, message)
        }
        guard raw != nil else { return false }
        let s = state.pointee
        batch.assign(nodes: UnsafeBufferPointer(start: s.nodes, count: s.nodeCount),
                     bytes: UnsafeBufferPointer(start: s.bytes, count: s.byteCount))
        state.pointee.reset()
        return true
    }

    static func text(of reader: UnsafeMutablePointer<redisReader>) -> String {
        let message = withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return message.isEmpty ? "unreadable reply" : message
    }
}

/// The buffers one reply is built in, reached from hiredis' callbacks through `privdata`.
/// Plain memory, no Swift objects: a callback costs a store or a memcpy.
struct FlatReplyState {
    var nodes: UnsafeMutablePointer<ReplyNode>
    var nodeCount = 0
    var nodeCapacity: Int
    var bytes: UnsafeMutablePointer<UInt8>
    var byteCount = 0
    var byteCapacity: Int
    /// The arrays still waiting for elements, innermost last: node index and elements left.
    /// hiredis 0.14 nests at most 7 arrays deep.
    var open: UnsafeMutablePointer<(index: Int, left: Int)>
    var depth = 0
    static let maxDepth = 16
    /// Set when the callbacks saw something they cannot place (never for what hiredis sends).
    var failure: String?

    init() {
        nodeCapacity = 1024
        nodes = .allocate(capacity: nodeCapacity)
        byteCapacity = 16 * 1024
        bytes = .allocate(capacity: byteCapacity)
        open = .allocate(capacity: Self.maxDepth)
    }

    mutating func release() {
        nodes.deallocate()
        bytes.deallocate()
        open.deallocate()
    }

    mutating func reset() {
        nodeCount = 0
        byteCount = 0
        depth = 0
        failure = nil
        // A huge reply's buffers are not kept for the next poll.
        if nodeCapacity > 1 << 20 { Self.grow(&nodes, &nodeCapacity, to: 1024, keeping: 0) }
        if byteCapacity > 16 << 20 { Self.grow(&bytes, &byteCapacity, to: 16 * 1024, keeping: 0) }
    }

    private static func grow<T>(_ pointer: inout UnsafeMutablePointer<T>, _ capacity: inout Int, to newCapacity: Int, keeping count: Int) {
        let fresh = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: pointer, count: count)
        pointer.deallocate()
        pointer = fresh
        capacity = newCapacity
    }

    /// Appends a node for the element hiredis describes in `task`; its "object" (index + 1).
    mutating func place(_ task: UnsafePointer<redisReadTask>?, _ kind: ReplyNode.Kind, count: Int, value: Int64) -> UnsafeMutableRawPointer? {
        let index = nodeCount
        // Pre-order, as hiredis parses: a root, then each array's elements in order (each
        // with its subtree) -- the next element of the innermost open array.
        guard (depth == 0) == (task?.pointee.parent == nil), depth > 0 || index == 0 else {
            return fail("an element out of order")
        }
        if index == nodeCapacity { Self.grow(&nodes, &nodeCapacity, to: nodeCapacity * 2, keeping: nodeCount) }
        // An array's value is the index after its subtree: right away for an empty one.
        nodes[index] = ReplyNode(kind: kind, count: UInt32(truncatingIfNeeded: count),
                                 value: kind == .array ? Int64(index + 1) : value)
        nodeCount += 1
        if depth > 0 { open[depth - 1].left -= 1 }
        if kind == .array && count > 0 {
            guard depth < Self.maxDepth else { return fail("arrays nested too deep") }
            open[depth] = (index, count)
            depth += 1
        } else {
            // Close every array this element completes.
            while depth > 0 && open[depth - 1].left == 0 {
                nodes[open[depth - 1].index].value = Int64(nodeCount)
                depth -= 1
            }
        }
        return UnsafeMutableRawPointer(bitPattern: index + 1)
    }

    mutating func appendBytes(_ source: UnsafePointer<CChar>?, _ length: Int) -> Int64 {
        let offset = byteCount
        if byteCount + length > byteCapacity {
            var capacity = byteCapacity * 2
            while capacity < byteCount + length { capacity *= 2 }
            Self.grow(&bytes, &byteCapacity, to: capacity, keeping: byteCount)
        }
        if length > 0, let source {
            UnsafeMutableRawPointer(bytes + offset).copyMemory(from: source, byteCount: length)
        }
        byteCount += length
        return Int64(offset)
    }

    private mutating func fail(_ what: String) -> UnsafeMutableRawPointer? {
        if failure == nil { failure = "unreadable reply: \(what)" }
        return nil  // hiredis stops with an out-of-memory error; `failure` says why
    }
}

private func flatState(_ task: UnsafePointer<redisReadTask>?) -> UnsafeMutablePointer<FlatReplyState> {
    task!.pointee.privdata!.assumingMemoryBound(to: FlatReplyState.self)
}

/// The callbacks, in memory that lives as long as the process (hiredis keeps the pointer).
nonisolated(unsafe) let flatReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    functions.initialize(to: redisReplyObjectFunctions(
        createString: { task, str, len in
            let state = flatState(task)
            let kind: ReplyNode.Kind = switch task!.pointee.type {
            case REDIS_REPLY_ERROR: .error
            case REDIS_REPLY_STATUS: .status
            default: .string
            }
            guard len <= Int(UInt32.max) else { return nil }
            let offset = state.pointee.appendBytes(str, len)
            return state.pointee.place(task, kind, count: len, value: offset)
        },
        createArray: { task, elements in
            flatState(task).pointee.place(task, .array, count: Int(max(elements, 0)), value: 0)
        },
        createInteger: { task, value in
            flatState(task).pointee.place(task, .integer, count: 0, value: Int64(value))
        },
        createNil: { task in
            flatState(task).pointee.place(task, .null, count: 0, value: 0)
        },
        freeObject: { _ in }))
    return functions
}()
