import KafkaProtocol
import Synchronization

/// Requests routed to a handler, per API key, since the process started: Kafka's `RequestsPerSec` meters
/// (kafka.network:type=RequestMetrics) as plain counts, so a benchmark can divide the broker's CPU time by the
/// requests it served (`scripts/bench.sh` asks for them with SIGUSR1, which logs `summary`).
///
/// One relaxed atomic add per request; process-wide because a combined node's broker and controller listeners
/// both serve requests and the CPU they spend is one process's.
public final class RequestCounts: @unchecked Sendable {
    // @unchecked: `slots` is allocated once and never freed or reassigned; every element is an Atomic.
    private let slots: UnsafeMutablePointer<Atomic<Int>>
    private let capacity: Int

    /// The process's counts.
    public static let shared = RequestCounts()

    init() {
        capacity = Int(ApiKey.allCases.map(\.rawValue).max() ?? 0) + 1
        slots = .allocate(capacity: capacity)
        for i in 0 ..< capacity { (slots + i).initialize(to: Atomic(0)) }
    }

    /// Counts one request of `api`.
    func record(_ api: ApiKey) {
        let i = Int(api.rawValue)
        guard i >= 0, i < capacity else { return }
        slots[i].add(1, ordering: .relaxed)
    }

    /// The requests served of `api` so far.
    public func count(_ api: ApiKey) -> Int {
        let i = Int(api.rawValue)
        guard i >= 0, i < capacity else { return 0 }
        return slots[i].load(ordering: .relaxed)
    }

    /// `requests served: total N; Produce n, Fetch n, ...` — the APIs served at least once, most served first.
    public var summary: String {
        let served = ApiKey.allCases.map { ($0, count($0)) }.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }
        let total = served.reduce(0) { $0 + $1.1 }
        return "requests served: total \(total); " + served.map { "\($0.0.name) \($0.1)" }.joined(separator: ", ")
    }
}
