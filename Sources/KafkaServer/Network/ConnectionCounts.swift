/// The open connections of a group of listeners, broker-wide and per client address, and what to do with the
/// next accepted one. Pure bookkeeping; `ConnectionLimiter` owns one on its event loop.
///
/// The order of the checks is Kafka's: the acceptor first waits for a broker-wide slot (`max.connections`), and
/// only the connection it then takes is checked against its address's limit and closed at once when over it.
public struct ConnectionCounts: Sendable, Equatable {
    public enum Admission: Sendable, Equatable {
        /// Serve it; it is counted until `release`.
        case admitted
        /// The broker-wide limit is reached: hold it (and stop accepting) until a connection closes.
        case wait
        /// Its address already has `limit` connections: close it.
        case rejected(limit: Int)
    }

    public let quota: ConnectionQuota
    public private(set) var total = 0
    public private(set) var perAddress: [String: Int] = [:]

    public init(quota: ConnectionQuota) { self.quota = quota }

    /// Whether a new connection has to wait for one to close.
    public var isFull: Bool { total >= quota.maxConnections }

    /// Decides about a connection from `address` (normalised; nil when not an IP connection) and counts it when
    /// admitted.
    public mutating func admit(_ address: String?) -> Admission {
        guard !isFull else { return .wait }
        if let address {
            let limit = quota.limit(for: address)
            let count = perAddress[address, default: 0]
            guard count < limit else { return .rejected(limit: limit) }
            perAddress[address] = count + 1
        }
        total += 1
        return .admitted
    }

    /// An admitted connection from `address` closed.
    public mutating func release(_ address: String?) {
        assert(total > 0, "released more connections than were admitted")
        total = max(0, total - 1)
        guard let address, let count = perAddress[address] else { return }
        perAddress[address] = count > 1 ? count - 1 : nil
    }
}
