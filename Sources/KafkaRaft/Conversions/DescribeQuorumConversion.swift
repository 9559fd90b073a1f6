import KafkaProtocol

/// DescribeQuorum (API 55): what the leader answers about the quorum, built from the core's state.
extension RaftNode {
    /// The DescribeQuorumResponse this node gives: the leader lists every voter's and observer's log end and
    /// fetch times (version 1's fields); another node answers NOT_LEADER_OR_FOLLOWER.
    public func describeQuorum() -> DescribeQuorumResponse {
        var p = DescribeQuorumResponse.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.errorMessage = nil
        p.leaderId = leaderAndEpoch.wireLeaderId
        p.leaderEpoch = election.epoch
        if let progress = replicaProgress {
            p.highWatermark = leaderHighWatermark ?? -1
            p.currentVoters = progress.voters.sorted { $0.key < $1.key }.map { Self.replicaState($0.key, $0.value) }
            p.observers = progress.observers.sorted { $0.key < $1.key }.map { Self.replicaState($0.key, $0.value) }
        } else {
            p.errorCode = KafkaError.notLeaderOrFollower.rawValue
            p.highWatermark = -1
        }
        var t = DescribeQuorumResponse.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        var r = DescribeQuorumResponse()
        r.errorMessage = nil
        r.topics = [t]
        return r
    }

    static func replicaState(_ id: Int32, _ p: ReplicaProgress) -> DescribeQuorumResponse.ReplicaState {
        var s = DescribeQuorumResponse.ReplicaState()
        s.replicaId = id
        s.logEndOffset = p.endOffset ?? -1
        s.lastFetchTimestamp = p.lastFetchMs ?? -1
        s.lastCaughtUpTimestamp = p.lastCaughtUpMs ?? -1
        return s
    }
}
