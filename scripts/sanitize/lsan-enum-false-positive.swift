// Why Flags/CommandLineFront releases ArgumentParser's error before exit(2). A value kept in a
// GLOBAL (reachable by definition) is reported by LeakSanitizer as a direct leak when it sits in
// a multi-payload enum: Swift keeps the case in the pointer's spare bits and LSan, scanning for
// plain pointers, does not recognise it. With one payload case (no tag bits) it is not reported.
// Checked with Swift 6.3.1 on Debian 12:
//   swiftc -sanitize=address lsan-enum-false-positive.swift -o /tmp/l && /tmp/l    # 64 bytes "leaked"
import Foundation
struct Key { var name: String; var path: [String] }
enum Failure: Error { case missing(Key), invalid(String, Key), other(Int) }
nonisolated(unsafe) var kept: Failure?   // a global: LeakSanitizer scans globals as roots
@inline(never) func parse() throws { throw Failure.invalid("x", Key(name: "n", path: ["a"] + [String(Int.random(in: 0..<9))])) }
do { try parse() } catch let e as Failure { kept = e } catch {}
exit(2)
