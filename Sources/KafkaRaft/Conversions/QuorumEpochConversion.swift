import KafkaProtocol

/// BeginQuorumEpoch (API 53) and EndQuorumEpoch (API 54) to and from the generated wire types (version 0 in
/// Kafka 3.7).
extension BeginQuorumEpochRequestData {
    public init(wire: BeginQuorumEpochRequest) throws {
        let topic = try onlyElement(wire.topics)
        guard topic.topicName == RaftConfig.topicName else { throw RaftWireError.notTheMetadataPartition }
        let p = try onlyElement(topic.partitions)
        guard p.partitionIndex == RaftConfig.partition else { throw RaftWireError.notTheMetadataPartition }
        self.init(clusterId: wire.clusterId, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch)
    }

    public var wire: BeginQuorumEpochRequest {
        var p = BeginQuorumEpochRequest.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.leaderId = leaderId
        p.leaderEpoch = leaderEpoch
        var t = BeginQuorumEpochRequest.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        var r = BeginQuorumEpochRequest()
        r.clusterId = clusterId
        r.topics = [t]
        return r
    }
}

extension EndQuorumEpochRequestData {
    public init(wire: EndQuorumEpochRequest) throws {
        let topic = try onlyElement(wire.topics)
        guard topic.topicName == RaftConfig.topicName else { throw RaftWireError.notTheMetadataPartition }
        let p = try onlyElement(topic.partitions)
        guard p.partitionIndex == RaftConfig.partition else { throw RaftWireError.notTheMetadataPartition }
        self.init(clusterId: wire.clusterId, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch,
                  preferredSuccessors: p.preferredSuccessors)
    }

    public var wire: EndQuorumEpochRequest {
        var p = EndQuorumEpochRequest.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.leaderId = leaderId
        p.leaderEpoch = leaderEpoch
        p.preferredSuccessors = preferredSuccessors
        var t = EndQuorumEpochRequest.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        var r = EndQuorumEpochRequest()
        r.clusterId = clusterId
        r.topics = [t]
        return r
    }
}

extension QuorumEpochResponseData {
    /// The partition fields shared by BeginQuorumEpoch and EndQuorumEpoch responses.
    init(errorCode: Int16, partition: (errorCode: Int16, leaderId: Int32, leaderEpoch: Int32)?) throws {
        let top = try KafkaError.fromWire(errorCode)
        guard let p = partition else {
            self.init(errorCode: top, leader: LeaderAndEpoch(leaderId: nil, epoch: -1))
            return
        }
        self.init(errorCode: top, partitionError: try KafkaError.fromWire(p.errorCode),
                  leader: LeaderAndEpoch(wireLeaderId: p.leaderId, epoch: p.leaderEpoch))
    }

    public init(wire: BeginQuorumEpochResponse) throws {
        let p = wire.topics.first?.partitions.first
        try self.init(errorCode: wire.errorCode, partition: p.map { ($0.errorCode, $0.leaderId, $0.leaderEpoch) })
    }

    public init(wire: EndQuorumEpochResponse) throws {
        let p = wire.topics.first?.partitions.first
        try self.init(errorCode: wire.errorCode, partition: p.map { ($0.errorCode, $0.leaderId, $0.leaderEpoch) })
    }

    public var beginQuorumEpochWire: BeginQuorumEpochResponse {
        var r = BeginQuorumEpochResponse()
        r.errorCode = errorCode.rawValue
        guard errorCode == .none else { return r }
        var p = BeginQuorumEpochResponse.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.errorCode = partitionError.rawValue
        p.leaderId = leader.wireLeaderId
        p.leaderEpoch = leader.epoch
        var t = BeginQuorumEpochResponse.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        r.topics = [t]
        return r
    }

    public var endQuorumEpochWire: EndQuorumEpochResponse {
        var r = EndQuorumEpochResponse()
        r.errorCode = errorCode.rawValue
        guard errorCode == .none else { return r }
        var p = EndQuorumEpochResponse.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.errorCode = partitionError.rawValue
        p.leaderId = leader.wireLeaderId
        p.leaderEpoch = leader.epoch
        var t = EndQuorumEpochResponse.TopicData()
        t.topicName = RaftConfig.topicName
        t.partitions = [p]
        r.topics = [t]
        return r
    }
}
