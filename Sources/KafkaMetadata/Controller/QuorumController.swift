import KafkaProtocol

/// The pure core of the KRaft controller: it answers commands with records and a response, and changes state only
/// when committed records are replayed (architecture rules 2 and 3).
///
/// How a driver runs it:
/// 1. `let result = controller.createTopics(...)` (or any other command) — nothing changes yet;
/// 2. append `result.records` to the metadata log as one batch and wait for the commit;
/// 3. `try controller.replay(record)` for each record, in order; then send `result.response`.
///
/// Commands read `image`, so a driver must replay one command's records before it issues the next. To put many
/// commands into one append, a driver replays each command's records into a copy of the controller before running
/// the next command on that copy, and adopts the copy once the append commits (Kafka's controller does the same
/// with timeline data structures); `execute(_:context:using:)` runs any `ControllerCommand`. A follower or a
/// restarting controller builds its image the same way, by replaying the log.
public struct QuorumController: Sendable {
    /// The image as of the last replayed record.
    public private(set) var image: MetadataImage
    public var configuration: ControllerConfiguration
    /// Broker heartbeat sessions: the one piece of controller state that is not replayed from the log, because
    /// it is about time, not metadata (Kafka keeps it out of the log too). Changed by registrations, `brokerHeartbeat`
    /// and `tick`; a driver may replace it (a controller that becomes active starts every session afresh).
    public var sessions: BrokerSessions
    /// When the next automatic preferred-leader election is due (`auto.leader.rebalance.enable`), nil while no
    /// partition is led by another replica than its preferred one. Soft state like `sessions`.
    public var leaderBalanceDueMs: Int64?

    public init(
        image: MetadataImage = MetadataImage(), configuration: ControllerConfiguration = ControllerConfiguration(),
        sessionTimeoutMs: Int64 = BrokerSessions.defaultSessionTimeoutMs
    ) {
        self.image = image
        self.configuration = configuration
        self.sessions = BrokerSessions(sessionTimeoutMs: sessionTimeoutMs)
    }

    /// Applies a committed record.
    public mutating func replay(_ record: MetadataRecord) throws(MetadataReplayError) {
        try image.replay(record)
    }

    /// Applies committed records in order.
    public mutating func replay(_ records: some Sequence<MetadataRecord>) throws(MetadataReplayError) {
        try image.replay(records)
    }

    /// Replaces the state by a metadata snapshot's records (KIP-630): a restart from a `.checkpoint`, or a follower
    /// that fetched the leader's snapshot. The image is rebuilt from an empty one; heartbeat sessions of brokers the
    /// snapshot does not register are dropped.
    public mutating func load(snapshot records: [MetadataRecord]) throws(MetadataReplayError) {
        image = try MetadataImage.loading(snapshot: records, after: image)
        sessions.forget(keeping: image.brokers.keys)
    }
}
