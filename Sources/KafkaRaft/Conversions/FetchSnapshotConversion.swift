import KafkaProtocol
import NIOCore

/// FetchSnapshot (API 59, KIP-630) to and from the generated wire types (version 0 in Kafka 3.7, which asks for
/// MaxBytes 2147483647 and lets the leader size the chunk).
extension FetchSnapshotRequestData {
    public init(wire: FetchSnapshotRequest) throws {
        let topic = try onlyElement(wire.topics)
        guard topic.name == RaftConfig.topicName else { throw RaftWireError.notTheMetadataPartition }
        let p = try onlyElement(topic.partitions)
        guard p.partition == RaftConfig.partition else { throw RaftWireError.notTheMetadataPartition }
        self.init(clusterId: wire.clusterId, replicaId: wire.replicaId, maxBytes: wire.maxBytes, currentLeaderEpoch: p.currentLeaderEpoch,
                  snapshotId: SnapshotId(endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch), position: p.position)
    }

    public var wire: FetchSnapshotRequest {
        var p = FetchSnapshotRequest.PartitionSnapshot()
        p.partition = RaftConfig.partition
        p.currentLeaderEpoch = currentLeaderEpoch
        p.snapshotId.endOffset = snapshotId.endOffset
        p.snapshotId.epoch = snapshotId.epoch
        p.position = position
        var t = FetchSnapshotRequest.TopicSnapshot()
        t.name = RaftConfig.topicName
        t.partitions = [p]
        var r = FetchSnapshotRequest()
        r.clusterId = clusterId
        r.replicaId = replicaId
        r.maxBytes = maxBytes
        r.topics = [t]
        return r
    }
}

extension FetchSnapshotResponseData {
    public init(wire: FetchSnapshotResponse) throws {
        let top = try KafkaError.fromWire(wire.errorCode)
        guard let p = wire.topics.first?.partitions.first else {
            self.init(errorCode: top, snapshotId: SnapshotId(endOffset: -1, epoch: -1), currentLeader: LeaderAndEpoch(leaderId: nil, epoch: -1))
            return
        }
        self.init(errorCode: top, partitionError: try KafkaError.fromWire(p.errorCode),
                  snapshotId: SnapshotId(endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch),
                  currentLeader: LeaderAndEpoch(wireLeaderId: p.currentLeader.leaderId, epoch: p.currentLeader.leaderEpoch),
                  size: p.size, position: p.position, bytes: p.unalignedRecords ?? ByteBuffer())
    }

    public var wire: FetchSnapshotResponse {
        var r = FetchSnapshotResponse()
        r.errorCode = errorCode.rawValue
        guard errorCode == .none else { return r }
        var p = FetchSnapshotResponse.PartitionSnapshot()
        p.index = RaftConfig.partition
        p.errorCode = partitionError.rawValue
        p.snapshotId.endOffset = snapshotId.endOffset
        p.snapshotId.epoch = snapshotId.epoch
        p.currentLeader.leaderId = currentLeader.wireLeaderId
        p.currentLeader.leaderEpoch = currentLeader.epoch
        p.size = size
        p.position = position
        p.unalignedRecords = bytes
        var t = FetchSnapshotResponse.TopicSnapshot()
        t.name = RaftConfig.topicName
        t.partitions = [p]
        r.topics = [t]
        return r
    }
}
