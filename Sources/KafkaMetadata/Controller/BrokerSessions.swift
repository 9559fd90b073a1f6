import KafkaProtocol

/// The last time the active controller heard from each broker: soft state, never written to the metadata log
/// (Kafka's BrokerHeartbeatTracker). Only the active controller keeps it; a controller that becomes active starts
/// every broker's session afresh, so a failover delays fencing by up to one session timeout, as in Kafka.
public struct BrokerSessions: Hashable, Sendable {
    /// `broker.session.timeout.ms`: how long a broker may stay silent before it is fenced.
    public var sessionTimeoutMs: Int64
    /// Last contact in milliseconds, by broker id, for the epoch the contact was made with.
    public private(set) var lastContact: [Int32: Contact] = [:]

    /// One broker's last heartbeat (or the moment the controller first saw its registration).
    public struct Contact: Hashable, Sendable {
        public var brokerEpoch: Int64
        public var atMs: Int64

        public init(brokerEpoch: Int64, atMs: Int64) {
            self.brokerEpoch = brokerEpoch
            self.atMs = atMs
        }
    }

    /// Kafka's default `broker.session.timeout.ms`.
    public static let defaultSessionTimeoutMs: Int64 = 9000

    public init(sessionTimeoutMs: Int64 = BrokerSessions.defaultSessionTimeoutMs) {
        self.sessionTimeoutMs = sessionTimeoutMs
    }

    /// Records a contact from `brokerId` at `brokerEpoch`.
    public mutating func touch(_ brokerId: Int32, brokerEpoch: Int64, now: Int64) {
        lastContact[brokerId] = Contact(brokerEpoch: brokerEpoch, atMs: now)
    }

    /// Whether the broker's session at this epoch was heard from within the timeout (Kafka's `hasValidSession`).
    public func hasValidSession(_ brokerId: Int32, brokerEpoch: Int64, now: Int64) -> Bool {
        guard let c = lastContact[brokerId], c.brokerEpoch == brokerEpoch else { return false }
        return !isExpired(c.atMs, now: now)
    }

    /// Kafka's `isExpired`: strictly past the timeout, and never for a contact "in the future" (a clock step back).
    func isExpired(_ atMs: Int64, now: Int64) -> Bool {
        now > atMs && atMs + sessionTimeoutMs < now
    }

    /// Drops sessions of brokers that are no longer registered.
    mutating func forget(keeping registered: some Sequence<Int32>) {
        let keep = Set(registered)
        lastContact = lastContact.filter { keep.contains($0.key) }
    }
}
