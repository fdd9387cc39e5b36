/// Delays between reconnect attempts: doubling from 100 ms up to 5 s with ±20% jitter, so a
/// Redis that restarts is not hammered and several generators do not retry in lock-step.
struct Backoff {
    private var attempt = 0
    let first = 0.1
    let cap = 5.0

    mutating func next() -> Double {
        let base = min(cap, first * Double(1 << min(attempt, 16)))
        attempt += 1
        return base * Double.random(in: 0.8...1.2)
    }

    mutating func reset() { attempt = 0 }
}
