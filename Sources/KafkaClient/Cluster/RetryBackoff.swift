/// Kafka's exponential retry backoff (KIP-580): `retry.backoff.ms` doubled per attempt up to
/// `retry.backoff.max.ms`, with ±20% jitter so clients that failed together do not retry together.
public struct RetryBackoff: Sendable {
    public var initialMs: Int64
    public var maxMs: Int64
    public var jitter: Double = 0.2

    public init(initialMs: Int64, maxMs: Int64) {
        self.initialMs = initialMs
        self.maxMs = max(initialMs, maxMs)
    }

    /// The wait before retry number `attempt` (0 for the first retry); `unit` is a random value in 0..<1.
    public func delayMs(attempt: Int, unit: Double) -> Int64 {
        let exp = Double(initialMs) * Double(1 << min(attempt, 30))
        let base = min(exp, Double(maxMs))
        let factor = 1 - jitter + 2 * jitter * unit
        return max(0, Int64((base * factor).rounded()))
    }
}
