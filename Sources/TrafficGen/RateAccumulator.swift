/// Turns a rate into whole entries per tick without losing the fractions: 2.5 entries a tick
/// alternates 2 and 3, and 0.25 a tick is one entry every fourth tick rather than none ever.
struct RateAccumulator {
    private(set) var carry = 0.0

    /// The whole units due for `amount` more (rate × seconds); the remainder waits for next time.
    mutating func take(_ amount: Double) -> Int {
        carry += max(amount, 0)
        // The nudge keeps 7.3/s for 10 s at 73, not 72 for a carry of 0.99999999.
        let whole = (carry + 1e-9).rounded(.down)
        carry -= whole
        return Int(whole)
    }

    /// Forgets the fraction, e.g. while a stream is stalled, so it does not burst on resuming.
    mutating func reset() { carry = 0 }
}
