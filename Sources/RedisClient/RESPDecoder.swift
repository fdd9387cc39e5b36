package import RedisProtocol

/// The connection's reply decoding (hiredis' reader and `FlatReplyReader`) without a socket:
/// bytes in, replies out, as `RedisConnection` reads them. For the fuzzer.
package enum RESPDecoder {
    /// Feeds `bytes` to a fresh reader `chunk` bytes at a time (as the connection feeds what
    /// each `recv` gave) and hands every whole reply to `body`. Returns the protocol error that
    /// stopped it, or nil once every byte is fed (a partial last reply waits, as on a socket).
    @discardableResult
    package static func decode(_ bytes: [UInt8], chunk: Int, _ body: (ReplyView) -> Void) -> RedisError? {
        guard let reader = FlatReplyReader() else { return RedisError(.proto, "cannot allocate a reply reader") }
        var batch = ReplyBatch()
        var start = 0
        let step = max(chunk, 1)
        repeat {
            let piece = start..<min(start + step, bytes.count)
            start = piece.upperBound
            let fed = bytes.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[piece])) }
            guard fed else { return RedisError(.proto, FlatReplyReader.text(of: reader.reader)) }
            do {
                while try reader.next(into: &batch) { body(batch.root) }
            } catch {
                return error
            }
        } while start < bytes.count
        return nil
    }
}
