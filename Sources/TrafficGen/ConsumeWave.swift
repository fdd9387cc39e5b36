import Foundation

/// The consumers' read rate over time. A constant rate below the produce rate only ever grows
/// lag; a slow sine between 50% and 130% of the base makes it grow, peak and drain, which is
/// what a demo, a dashboard or an alert rule needs to be seen working.
struct ConsumeWave: Sendable {
    let base: Double
    let period: Double
    let low = 0.5
    let high = 1.3

    /// Entries a second at `elapsed` seconds; `phase` (0..<1) offsets streams from each other.
    /// Phase 0 starts at the low point, so some lag shows from the first seconds of a demo.
    func rate(at elapsed: Double, phase: Double) -> Double {
        let middle = (low + high) / 2
        let amplitude = (high - low) / 2
        return base * (middle - amplitude * cos(2 * Double.pi * (elapsed / period + phase)))
    }
}
