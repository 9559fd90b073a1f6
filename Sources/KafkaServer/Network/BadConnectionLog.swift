import Logging
import Synchronization

/// Rate-limited warnings about connections closed for bad input (unreadable frames, unknown API keys, oversized
/// or negative size prefixes, bodies that do not parse).
///
/// A misbehaving client or a port scanner can open thousands of such connections a second; one warning line each
/// would drown the log and cost more than the connections. The first bad connection of an interval is logged in
/// full; the rest are counted and reported as one summary line when the interval is over (on the next bad
/// connection or the next `flush`, which the node's maintenance loop calls every second).
public final class BadConnectionLog: Sendable {
    private struct State {
        var windowStart: Int64?
        var suppressed = 0
        var reasons: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let intervalMs: Int64
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    /// `intervalMs`: at most one full line (plus one summary) per interval.
    public init(logger: Logger, intervalMs: Int64 = 10_000, clock: @escaping @Sendable () -> Int64) {
        self.logger = logger
        self.intervalMs = intervalMs
        self.clock = clock
    }

    /// Records one closed connection. `reason` is a short category ("unknown API key 77"), `detail` the full text.
    public func record(client: String, listener: String, reason: String, detail: String) {
        let now = clock()
        let (logFull, summary): (Bool, String?) = state.withLock { s in
            if s.windowStart.map({ now - $0 >= intervalMs }) ?? true {
                let summary = Self.summary(&s, intervalMs: intervalMs)
                s.windowStart = now
                return (true, summary)
            }
            s.suppressed += 1
            s.reasons[reason, default: 0] += 1
            return (false, nil)
        }
        if let summary { logger.warning("\(summary)") }
        if logFull {
            logger.warning("closing connection from \(client) on \(listener): \(detail) (further bad connections are summarised every \(intervalMs / 1000) s)")
        }
    }

    /// Logs the summary of an interval that has ended.
    public func flush() {
        let now = clock()
        let summary: String? = state.withLock { s in
            guard s.suppressed > 0, let start = s.windowStart, now - start >= intervalMs else { return nil }
            let line = Self.summary(&s, intervalMs: intervalMs)
            s.windowStart = nil
            return line
        }
        if let summary { logger.warning("\(summary)") }
    }

    private static func summary(_ s: inout State, intervalMs: Int64) -> String? {
        guard s.suppressed > 0 else { return nil }
        let reasons = s.reasons.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let line = "closed \(s.suppressed) more bad connection\(s.suppressed == 1 ? "" : "s") in the last \(intervalMs / 1000) s (\(reasons))"
        s.suppressed = 0
        s.reasons = [:]
        return line
    }
}
