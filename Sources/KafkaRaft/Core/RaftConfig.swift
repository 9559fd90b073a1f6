import KafkaProtocol

/// One voter of a static quorum, as `controller.quorum.voters` names it (`id@host:port`).
public struct QuorumVoter: Hashable, Sendable {
    public var id: Int32
    public var host: String
    public var port: Int

    public init(id: Int32, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }
}

/// The configuration of one KRaft node: who it is, who votes, and Kafka's `controller.quorum.*` timing.
public struct RaftConfig: Sendable {
    /// `node.id`.
    public var nodeId: Int32
    /// The static voter set (`controller.quorum.voters`), keyed by id. KIP-853 dynamic voters are not supported.
    public var voters: [Int32: QuorumVoter]
    /// The cluster id from `meta.properties`; requests naming another cluster get INCONSISTENT_CLUSTER_ID.
    public var clusterId: String
    /// `controller.quorum.election.timeout.ms`: the base of the randomised election timeout, [t, 2t).
    public var electionTimeoutMs: Int64 = 1000
    /// `controller.quorum.fetch.timeout.ms`: a follower that hears nothing from the leader for this long
    /// starts an election; a leader that no majority fetched from for 1.5 times this resigns (check quorum).
    public var fetchTimeoutMs: Int64 = 2000
    /// `controller.quorum.election.backoff.max.ms`: the cap of the exponential backoff after a lost election.
    public var electionBackoffMaxMs: Int64 = 1000
    /// `controller.quorum.request.timeout.ms`: an unanswered request is given up after this long.
    public var requestTimeoutMs: Int64 = 2000
    /// `controller.quorum.retry.backoff.ms`: the pause before a request to the same node is retried.
    public var retryBackoffMs: Int64 = 20
    /// `controller.quorum.append.linger.ms`: how long the leader gathers appended records into one batch.
    public var appendLingerMs: Int64 = 25
    /// `metadata.log.max.record.bytes.between.snapshots`: committed bytes after which a snapshot is taken.
    public var maxBytesBetweenSnapshots: Int = 20_971_520
    /// `metadata.log.max.snapshot.interval.ms`: a snapshot is also taken once this long has passed since the last
    /// one (or since start) if records were committed meanwhile; 0 disables the time trigger. Checked at commits.
    public var maxSnapshotIntervalMs: Int64 = 3_600_000
    /// The wait a follower asks the leader to hold an empty Fetch for (Kafka's raft client uses 500 ms).
    public var fetchMaxWaitMs: Int32 = 500
    /// The most bytes asked for in one Fetch or FetchSnapshot (Kafka's raft client: 8 MiB).
    public var fetchMaxBytes: Int32 = 8 * 1024 * 1024
    /// A batch is closed early once its records reach this size (Kafka's raft client: 8 MiB).
    public var maxBatchSizeBytes: Int = 8 * 1024 * 1024
    /// The base of the election backoff (Kafka's `RETRY_BACKOFF_BASE_MS`).
    public var electionBackoffBaseMs: Int64 = 100

    /// The metadata log's name, partition and id as Kafka's raft client sends them.
    public static let topicName = "__cluster_metadata"
    public static let partition: Int32 = 0
    /// `Uuid.METADATA_TOPIC_ID`: 0x0000000000000000 0000000000000001 (`AAAAAAAAAAAAAAAAAAAAAQ`).
    public static let topicId = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1)

    public init(nodeId: Int32, voters: [QuorumVoter], clusterId: String) {
        self.nodeId = nodeId
        self.voters = Dictionary(uniqueKeysWithValues: voters.map { ($0.id, $0) })
        self.clusterId = clusterId
    }

    /// Whether this node votes (a controller) rather than only observing (a broker).
    public var isVoter: Bool { voters[nodeId] != nil }
    /// The voter ids in ascending order.
    public var voterIds: [Int32] { voters.keys.sorted() }
    /// The number of voters that make a majority.
    public var majority: Int { voters.count / 2 + 1 }
    /// Kafka's check-quorum window: 1.5 times the fetch timeout (KAFKA-15489).
    public var checkQuorumTimeoutMs: Int64 { fetchTimeoutMs * 3 / 2 }
}
