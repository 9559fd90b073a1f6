import KafkaRaft
import KafkaStorage

/// How to run one KRaft node for real (`RaftNodeServer`, `RaftDriver`).
public struct RaftDriverConfig: Sendable {
    /// The core's configuration: node id, voters (`controller.quorum.voters`), cluster id, `controller.quorum.*`.
    public var raft: RaftConfig
    /// `metadata.log.dir`: the log lives in `<metadataLogDir>/__cluster_metadata-0`.
    public var metadataLogDir: String
    /// Segment settings of the metadata log (`metadata.log.segment.bytes`, ...); Kafka's defaults otherwise.
    public var logConfig = LogConfig()
    /// The controller listener's name (`controller.listener.names`) and address; the port defaults to this
    /// node's entry in the voters.
    public var listenerName = "CONTROLLER"
    public var listenHost = "127.0.0.1"
    public var listenPort: Int?
    /// The seed of the core's generator (election jitter); print it to replay a run.
    public var seed: UInt64
    /// How long a resigning leader waits for a successor to announce itself before it stops anyway.
    public var shutdownTimeoutMs: Int64 = 5000

    public init(raft: RaftConfig, metadataLogDir: String, seed: UInt64) {
        self.raft = raft
        self.metadataLogDir = metadataLogDir
        self.seed = seed
    }

    /// The port the controller listener binds.
    public var port: Int { listenPort ?? raft.voters[raft.nodeId]?.port ?? 0 }
}
