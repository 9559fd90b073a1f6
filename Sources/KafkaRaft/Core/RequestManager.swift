/// Outbound request bookkeeping, one request in flight per destination (Kafka's raft `RequestManager`): a
/// response is accepted only for the request in flight; an unanswered request times out after
/// `request.timeout.ms`; a failed one is retried after `retry.backoff.ms`.
struct RequestManager: Hashable, Sendable {
    struct Connection: Hashable, Sendable {
        var inflight: Int32?
        var sentAt: Int64 = 0
        var readyAt: Int64 = 0
    }

    var connections: [Int32: Connection] = [:]
    var nextCorrelationId: Int32 = 1
    let requestTimeoutMs: Int64
    let retryBackoffMs: Int64

    init(requestTimeoutMs: Int64, retryBackoffMs: Int64) {
        self.requestTimeoutMs = requestTimeoutMs
        self.retryBackoffMs = retryBackoffMs
    }

    /// Whether a request may go to `id` now (a timed-out request is forgotten here).
    mutating func isReady(_ id: Int32, now: Int64) -> Bool {
        var c = connections[id] ?? Connection()
        if c.inflight != nil {
            guard now >= c.sentAt + requestTimeoutMs else { return false }
            c.inflight = nil
            c.readyAt = max(c.readyAt, c.sentAt + requestTimeoutMs)
            connections[id] = c
        }
        return now >= c.readyAt
    }

    /// Whether any request is in flight (to anyone).
    func hasInflight(now: Int64) -> Bool {
        connections.values.contains { $0.inflight != nil && now < $0.sentAt + requestTimeoutMs }
    }

    /// When `id` can next be sent to.
    func readyTime(_ id: Int32) -> Int64 {
        guard let c = connections[id] else { return 0 }
        return c.inflight != nil ? c.sentAt + requestTimeoutMs : c.readyAt
    }

    mutating func send(to id: Int32, _ message: RaftMessage, now: Int64) -> RaftAction {
        let cid = nextCorrelationId
        nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
        connections[id, default: Connection()].inflight = cid
        connections[id, default: Connection()].sentAt = now
        return .send(to: id, RaftEnvelope(correlationId: cid, message: message))
    }

    /// Accepts a response if it answers the request in flight to `id`.
    mutating func accept(from id: Int32, correlationId: Int32, now: Int64) -> Bool {
        guard var c = connections[id], c.inflight == correlationId else { return false }
        c.inflight = nil
        c.readyAt = now
        connections[id] = c
        return true
    }

    /// Delays the next request to `id` by the retry backoff.
    mutating func backoff(_ id: Int32, now: Int64) {
        connections[id, default: Connection()].readyAt = now + retryBackoffMs
    }

    mutating func failed(to id: Int32, correlationId: Int32, now: Int64) {
        guard var c = connections[id], c.inflight == correlationId else { return }
        c.inflight = nil
        c.readyAt = now + retryBackoffMs
        connections[id] = c
    }

    /// Forgets every request in flight (on each role change, so that stale answers are dropped).
    mutating func reset() { connections = [:] }
}
