import KafkaProtocol

/// Vote (API 52) to and from the generated wire types. Kafka 3.7 sends version 0; the schema's later names
/// (ReplicaEpoch, ReplicaId) are the candidate's epoch and id.
extension VoteRequestData {
    public init(wire: VoteRequest) throws {
        let topic = try onlyElement(wire.topics)
        guard topic.topicName == RaftConfig.topicName else { throw RaftWireError.notTheMetadataPartition }
        let p = try onlyElement(topic.partitions)
        guard p.partitionIndex == RaftConfig.partition else { throw RaftWireError.notTheMetadataPartition }
        self.init(clusterId: wire.clusterId, candidateEpoch: p.replicaEpoch, candidateId: p.replicaId,
                  lastOffsetEpoch: p.lastOffsetEpoch, lastOffset: p.lastOffset)
    }

    public var wire: VoteRequest {
        var p = VoteRequest.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.replicaEpoch = candidateEpoch
        p.replicaId = candidateId
        p.lastOffsetEpoch = lastOffsetEpoch
        p.lastOffset = lastOffset
        var t = VoteRequest.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        var r = VoteRequest()
        r.clusterId = clusterId
        r.topics = [t]
        return r
    }
}

extension VoteResponseData {
    /// A top-level error response carries no partition.
    public init(wire: VoteResponse) throws {
        let top = try KafkaError.fromWire(wire.errorCode)
        guard let p = wire.topics.first?.partitions.first else {
            self.init(errorCode: top, leader: LeaderAndEpoch(leaderId: nil, epoch: -1), voteGranted: false)
            return
        }
        self.init(errorCode: top, partitionError: try KafkaError.fromWire(p.errorCode),
                  leader: LeaderAndEpoch(wireLeaderId: p.leaderId, epoch: p.leaderEpoch), voteGranted: p.voteGranted)
    }

    public var wire: VoteResponse {
        var r = VoteResponse()
        r.errorCode = errorCode.rawValue
        guard errorCode == .none else { return r }
        var p = VoteResponse.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.errorCode = partitionError.rawValue
        p.leaderId = leader.wireLeaderId
        p.leaderEpoch = leader.epoch
        p.voteGranted = voteGranted
        var t = VoteResponse.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        r.topics = [t]
        return r
    }
}
