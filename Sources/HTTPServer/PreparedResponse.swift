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
    public init(body: [UInt8], headers: [(name: String, value: String)]) {
        let size = body.count
        let buffer = malloc(max(size, 1))!
        body.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.copyMemory(from: base, byteCount: size) }
        }
        // rawValue 1 is MHD_RESPMEM_MUST_FREE: MHD calls free() on the buffer when done.
        pointer = MHD_create_response_from_buffer(size, buffer, MHD_ResponseMemoryMode(rawValue: 1)!)!
        bodySize = size
        for header in headers {
            _ = MHD_add_response_header(pointer, header.name, header.value)
        }
    }

    public convenience init(text: String, contentType: String, headers: [(name: String, value: String)] = []) {
        self.init(body: Array(text.utf8), headers: [("Content-Type", contentType)] + headers)
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
