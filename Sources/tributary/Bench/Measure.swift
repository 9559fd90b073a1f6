#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` repeatedly for about `seconds` (after a short warm-up) and returns iterations per second.
func measure(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<3 { try body() }
    let start = monotonicSeconds()
    var iterations = 0
    var elapsed = 0.0
    repeat {
        for _ in 0..<8 { try body() }
        iterations += 8
        elapsed = monotonicSeconds() - start
    } while elapsed < seconds
    return Double(iterations) / elapsed
}

/// CLOCK_MONOTONIC in seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A figure with a fixed number of decimals.
func fmt(_ v: Double, _ decimals: Int = 1) -> String {
    var s = String(Int((v * pow(10, Double(decimals))).rounded()))
    if decimals == 0 { return s }
    while s.count <= decimals { s = "0" + s }
    s.insert(".", at: s.index(s.endIndex, offsetBy: -decimals))
    return s
}
