internal import CMicroHTTPD
import Foundation

/// An immutable response (body and headers) made once and queued to any number of connections.
/// A body held in memory is one libmicrohttpd response that MHD reference-counts, so dropping
/// the last Swift reference is safe even while a queued copy is still being sent. A streamed
/// body is written anew for each connection as it is sent (`StreamedBody`).
public final class PreparedResponse: @unchecked Sendable {
    private enum Body {
        case held(OpaquePointer)
        case streamed(any StreamedBody, headers: [(name: String, value: String)])
    }
    private let body: Body
    /// Body size in bytes (what `Content-Length` will say).
    public let bodySize: Int

    /// Copies `body` once into memory that MHD frees when its last user is done.
    public convenience init(body: [UInt8], headers: [(name: String, value: String)]) {
        self.init(byteCount: body.count, headers: headers) { buffer in
            body.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// Copies a string's UTF-8 straight from its storage: a 15 MB metrics body is not first
    /// copied into an intermediate array.
    public convenience init(text: String, contentType: String, headers: [(name: String, value: String)] = []) {
        var text = text
        text.makeContiguousUTF8()
        let utf8 = text.utf8
        self.init(byteCount: utf8.count, headers: [("Content-Type", contentType)] + headers) { buffer in
            _ = utf8.withContiguousStorageIfAvailable { buffer.copyMemory(from: UnsafeRawBufferPointer($0)) }
        }
    }

    private convenience init(byteCount: Int, headers: [(name: String, value: String)],
                             fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let buffer = malloc(max(byteCount, 1))!
        fill(UnsafeMutableRawBufferPointer(start: buffer, count: byteCount))
        self.init(owning: buffer, byteCount: byteCount, headers: headers)
    }

    /// Takes `buffer` (from malloc) as the body; MHD frees it.
    init(owning buffer: UnsafeMutableRawPointer, byteCount: Int, headers: [(name: String, value: String)]) {
        // rawValue 1 is MHD_RESPMEM_MUST_FREE: MHD calls free() on the buffer when done.
        let pointer = MHD_create_response_from_buffer(byteCount, buffer, MHD_ResponseMemoryMode(rawValue: 1)!)!
        for header in headers {
            _ = MHD_add_response_header(pointer, header.name, header.value)
        }
        body = .held(pointer)
        bodySize = byteCount
    }

    /// A body that is not held: each connection it is queued to gets its own reader of it.
    public init(streaming source: any StreamedBody, headers: [(name: String, value: String)]) {
        body = .streamed(source, headers: headers)
        bodySize = source.byteCount
    }

    deinit {
        if case .held(let pointer) = body { MHD_destroy_response(pointer) }
    }

    /// Queues the response on `connection` (on its MHD thread, inside the access handler).
    func queue(_ connection: OpaquePointer, status: Int) -> MHD_Result {
        switch body {
        case .held(let pointer):
            return withExtendedLifetime(self) { MHD_queue_response(connection, UInt32(status), pointer) }
        case .streamed(let source, let headers):
            // Retained for MHD, released by its free callback (or here if there is no response).
            let reading = Unmanaged.passRetained(StreamedBodyReading(source.makeReader()))
            guard let pointer = MHD_create_response_from_callback(
                UInt64(source.byteCount), streamedBlockSize, readStreamedBody, reading.toOpaque(), releaseStreamedBody)
            else {
                reading.release()
                return .NO
            }
            for header in headers {
                _ = MHD_add_response_header(pointer, header.name, header.value)
            }
            let queued = MHD_queue_response(connection, UInt32(status), pointer)
            MHD_destroy_response(pointer)  // MHD keeps its own reference while it sends
            return queued
        }
    }
}

/// A body written for each request as it is sent, from data the handler keeps (much smaller
/// than the body, or shared by every reader), instead of a body held whole in memory.
public protocol StreamedBody: Sendable {
    /// The body's exact size: what `Content-Length` says and every reader writes.
    var byteCount: Int { get }
    /// A reader of the whole body from its first byte, for one connection.
    func makeReader() -> any StreamedBodyReader
}

/// Writes one copy of a streamed body, in order, on the connection's thread.
public protocol StreamedBodyReader: AnyObject {
    /// Appends the body's next bytes to `chunk` (empty when called; a few tens of KB at a time
    /// suit best); false once the body has been written whole.
    func read(into chunk: inout [UInt8]) -> Bool
}

/// How much MHD asks of a streamed body at a time (at most: its buffer is the connection's
/// memory, `connectionMemoryBytes`).
private let streamedBlockSize = 64 * 1024

/// One connection's copy of a streamed body: the reader's last chunk and how much of it MHD
/// has taken.
private final class StreamedBodyReading {
    let reader: any StreamedBodyReader
    var chunk: [UInt8] = []
    var taken = 0
    var position: UInt64 = 0
    init(_ reader: any StreamedBodyReader) { self.reader = reader }
}

/// MHD's content reader: copies the next bytes into MHD's buffer. MHD reads in order; a
/// position out of order (never seen) ends the response with an error rather than wrong bytes.
private let readStreamedBody: MHD_ContentReaderCallback = { cls, pos, buffer, max in
    // -1 is MHD_CONTENT_READER_END_OF_STREAM, -2 MHD_CONTENT_READER_END_WITH_ERROR.
    guard let cls, let buffer else { return -2 }
    guard max > 0 else { return 0 }
    let reading = Unmanaged<StreamedBodyReading>.fromOpaque(cls).takeUnretainedValue()
    guard pos == reading.position else { return -2 }
    while reading.taken == reading.chunk.count {
        reading.chunk.removeAll(keepingCapacity: true)
        reading.taken = 0
        guard reading.reader.read(into: &reading.chunk) else { return -1 }
    }
    let count = min(max, reading.chunk.count - reading.taken)
    reading.chunk.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + reading.taken, byteCount: count)
    }
    reading.taken += count
    reading.position += UInt64(count)
    return count
}

/// MHD's free callback for a streamed body: drops the connection's reader.
private let releaseStreamedBody: MHD_ContentReaderFreeCallback = { cls in
    if let cls { Unmanaged<StreamedBodyReading>.fromOpaque(cls).release() }
}

/// What a handler answers: a status code and a prepared response.
public struct HTTPReply: Sendable {
    public var status: Int
    public var response: PreparedResponse
    public init(status: Int, response: PreparedResponse) {
        self.status = status
        self.response = response
    }
}

/// A response body built in pieces into memory that becomes the response's own (no copy at
/// the end): for bodies of many megabytes, rendered in chunks. Growth by `realloc`, which
/// glibc does in place or with `mremap` for large blocks. Used by one thread, once.
public final class ResponseBodyBuilder {
    private var buffer: UnsafeMutableRawPointer?
    private var count = 0
    private var capacity = 0

    public init() {}

    deinit { free(buffer) }

    public func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if count + bytes.count > capacity {
            let wanted = max(count + bytes.count, capacity + capacity / 2, 64 * 1024)
            guard let grown = realloc(buffer, wanted) else { fatalError("out of memory for a response body of \(wanted) bytes") }
            buffer = grown
            capacity = wanted
        }
        bytes.withUnsafeBytes { (buffer! + count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count += bytes.count
    }

    /// The response, owning the bytes (MHD frees them when its last user is done).
    public func finish(headers: [(name: String, value: String)]) -> PreparedResponse {
        if buffer == nil { buffer = malloc(1) }
        let body = buffer!
        buffer = nil
        return PreparedResponse(owning: body, byteCount: count, headers: headers)
    }
}
