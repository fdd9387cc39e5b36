#if STREAM_LAG_TSAN
// ThreadSanitizer builds only: a lock TSan can see (why: Sources/SanitizerMutex/PThreadMutex.swift).
internal import SanitizerMutex
typealias Mutex<Value> = PThreadMutex<Value>
#endif
