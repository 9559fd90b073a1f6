import KafkaRaft

// The multi-voter KRaft quorum of combined nodes (issue 10): which configurations run one, and how its Raft node
// is configured.
extension BrokerConfig {
    /// True when the metadata log is replicated by a `RaftDriver` (a static `controller.quorum.voters`, no
    /// bootstrap servers): a combined node that is one of several voters, a controller-only voter (even a quorum
    /// of one: its brokers are other nodes), or a broker-only node, which follows the log as an observer. A
    /// combined node whose only voter is itself keeps the single-voter path. (Load-time validation already
    /// requires a controller to be a voter and a broker-only node not to be one, as Kafka does.)
    public var runsRaftQuorum: Bool {
        guard quorumBootstrapServers.isEmpty, !quorumVoters.isEmpty else { return false }
        switch processRoles {
        case [.broker, .controller]: return quorumVoters.contains { $0.id == nodeId } && quorumVoters.contains { $0.id != nodeId }
        case [.controller]: return quorumVoters.contains { $0.id == nodeId }
        case [.broker]: return !quorumVoters.contains { $0.id == nodeId }
        default: return false
        }
    }

    /// A broker-only node of a quorum: its Raft node is an observer with no controller listener.
    public var isQuorumObserver: Bool { runsRaftQuorum && !isController }

    /// The Raft node of this voter: `controller.quorum.*` timeouts, the log in `metadata.log.dir`, the controller
    /// listener (the first of `controller.listener.names` that `listeners` binds; else this node's voter address).
    func raftDriverConfig(clusterId: String, seed: UInt64) -> RaftDriverConfig {
        let voters = quorumVoters.map { KafkaRaft.QuorumVoter(id: $0.id, host: $0.endpoint.host, port: $0.endpoint.port) }
        var raft = RaftConfig(nodeId: nodeId, voters: voters, clusterId: clusterId)
        raft.electionTimeoutMs = Int64(values.int("controller.quorum.election.timeout.ms"))
        raft.fetchTimeoutMs = Int64(values.int("controller.quorum.fetch.timeout.ms"))
        raft.electionBackoffMaxMs = Int64(values.int("controller.quorum.election.backoff.max.ms"))
        raft.appendLingerMs = Int64(values.int("controller.quorum.append.linger.ms"))
        raft.requestTimeoutMs = Int64(values.int("controller.quorum.request.timeout.ms"))
        raft.retryBackoffMs = Int64(values.int("controller.quorum.retry.backoff.ms"))
        raft.maxBytesBetweenSnapshots = Int(clamping: values.long("metadata.log.max.record.bytes.between.snapshots"))
        raft.maxSnapshotIntervalMs = values.long("metadata.log.max.snapshot.interval.ms")
        var config = RaftDriverConfig(raft: raft, metadataLogDir: metadataLogDir, seed: seed)
        // Segments roll at this size, so that a snapshot lets whole segments behind it be deleted.
        config.logConfig.segmentBytes = Int64(values.int("metadata.log.segment.bytes"))
        config.logConfig.segmentMs = values.long("metadata.log.segment.ms")
        let own = quorumVoters.first { $0.id == nodeId }
        if let listener = controllerListenerNames.lazy.compactMap({ name in self.listeners.first { $0.name == name } }).first {
            config.listenerName = listener.name
            config.listenHost = listener.host ?? "0.0.0.0"
            config.listenPort = listener.port
        } else if let own {
            config.listenHost = own.endpoint.host
            config.listenPort = own.endpoint.port
        }
        return config
    }
}
