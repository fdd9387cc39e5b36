internal import CMicroHTTPD
import Foundation

/// An immutable libmicrohttpd response (body and headers) made once and queued to any number
/// of connections: MHD reference-counts it, so dropping the last Swift reference is safe even
/// while a queued copy is still being sent.
public final class PreparedResponse: @unchecked Sendable {
    let pointer: OpaquePointer
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
        pointer = MHD_create_response_from_buffer(byteCount, buffer, MHD_ResponseMemoryMode(rawValue: 1)!)!
        bodySize = byteCount
        for header in headers {
            _ = MHD_add_response_header(pointer, header.name, header.value)
        }
    }

    deinit { MHD_destroy_response(pointer) }
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
