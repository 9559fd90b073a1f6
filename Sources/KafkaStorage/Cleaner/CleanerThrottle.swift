/// `log.cleaner.io.max.bytes.per.second` (Kafka's `Throttler`): told the bytes the cleaner reads and writes and
/// the time, says how long to sleep so that the average rate over each check window stays at most the limit.
/// Pure: the caller passes the time and does the sleeping.
public struct CleanerThrottle: Sendable {
    /// Bytes per second allowed; infinite or non-positive disables throttling.
    public let bytesPerSecond: Double
    /// How often the rate is measured (Kafka: 300 ms).
    public let checkIntervalNanos: Int64
    private var windowStart: Int64?
    private var windowBytes: Double = 0

    public init(bytesPerSecond: Double, checkIntervalNanos: Int64 = 300_000_000) {
        self.bytesPerSecond = bytesPerSecond
        self.checkIntervalNanos = checkIntervalNanos
    }

    /// Accounts `bytes` done by `nowNanos`; returns the nanoseconds to sleep before going on (0 for none).
    public mutating func record(_ bytes: Int64, nowNanos: Int64) -> Int64 {
        guard bytesPerSecond.isFinite, bytesPerSecond > 0 else { return 0 }
        guard let start = windowStart else {
            windowStart = nowNanos
            windowBytes = Double(bytes)
            return 0
        }
        windowBytes += Double(bytes)
        let elapsed = nowNanos - start
        guard elapsed >= checkIntervalNanos else { return 0 }
        // The time the window's bytes should have taken at the allowed rate, less the time they took.
        let needed = Int64(windowBytes / bytesPerSecond * 1e9)
        windowStart = nowNanos
        windowBytes = 0
        return max(0, needed - elapsed)
    }
}
