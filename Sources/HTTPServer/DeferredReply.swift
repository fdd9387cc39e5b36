/// What a handler answers: a reply now, or one that needs slow work first.
public enum HTTPAnswer: Sendable {
    /// Queued at once, on the libmicrohttpd thread that called the handler.
    case now(HTTPReply)
    /// Made after work that must not run on libmicrohttpd's threads (a bcrypt check).
    case later(DeferredReply)
}

/// A reply that waits for slow work without holding a libmicrohttpd thread.
///
/// The server suspends the connection (MHD_suspend_connection: no thread waits for it and other
/// requests go on), then calls `start` with a `done` callback. `start` hands the work to a thread
/// of its own choosing and returns at once; when the work calls `done(verdict)`, from any
/// thread, the server resumes the connection and calls `then(verdict, request)` on one of its
/// threads, where the request's headers can be read again, for the reply. Only the first call
/// of `done` counts. `start` must make sure `done` is called: until then the connection stays
/// suspended (it never times out). If the server stops first, the client gets 503.
public struct DeferredReply: Sendable {
    /// `start`, with the verdict already bound into the reply maker.
    let begin: @Sendable (_ finish: @escaping @Sendable (_ reply: @escaping @Sendable (HTTPRequest) -> HTTPReply) -> Void) -> Void

    public init<Verdict: Sendable>(
        start: @escaping @Sendable (_ done: @escaping @Sendable (Verdict) -> Void) -> Void,
        then reply: @escaping @Sendable (_ verdict: Verdict, _ request: HTTPRequest) -> HTTPReply
    ) {
        begin = { finish in
            start { verdict in finish { request in reply(verdict, request) } }
        }
    }
}
