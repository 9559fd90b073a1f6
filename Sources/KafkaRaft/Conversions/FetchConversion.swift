import KafkaProtocol
import NIOCore

/// Fetch (API 1) of `__cluster_metadata-0` to and from the generated wire types. Kafka 3.7's raft client sends
/// version 16: the topic by id, the replica in the tagged ReplicaState (epoch -1), the cluster id tagged,
/// MaxWaitMs 500, MaxBytes 8 MiB.
extension FetchRequestData {
    public init(wire: FetchRequest) throws {
        let topic = try onlyElement(wire.topics)
        guard topic.topicId == RaftConfig.topicId || topic.topic == RaftConfig.topicName else { throw RaftWireError.notTheMetadataPartition }
        let p = try onlyElement(topic.partitions)
        guard p.partition == RaftConfig.partition else { throw RaftWireError.notTheMetadataPartition }
        self.init(clusterId: wire.clusterId, replicaId: wire.replicaState.replicaId >= 0 ? wire.replicaState.replicaId : wire.replicaId,
                  maxWaitMs: wire.maxWaitMs, maxBytes: wire.maxBytes, currentLeaderEpoch: p.currentLeaderEpoch,
                  fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch)
    }

    /// The request at `version` (13+ names the topic by id; 15+ carries the replica in ReplicaState).
    public func wire(version: Int16) -> FetchRequest {
        var p = FetchRequest.FetchPartition()
        p.partition = RaftConfig.partition
        p.currentLeaderEpoch = currentLeaderEpoch
        p.fetchOffset = fetchOffset
        p.lastFetchedEpoch = lastFetchedEpoch
        p.logStartOffset = -1
        p.partitionMaxBytes = 0
        var t = FetchRequest.FetchTopic()
        if version >= 13 { t.topicId = RaftConfig.topicId } else { t.topic = RaftConfig.topicName }
        t.partitions = [p]
        var r = FetchRequest()
        r.clusterId = clusterId
        if version >= 15 { r.replicaState.replicaId = replicaId } else { r.replicaId = replicaId }
        r.maxWaitMs = maxWaitMs
        r.minBytes = 0
        r.maxBytes = maxBytes
        r.topics = [t]
        return r
    }
}

extension FetchResponseData {
    public init(wire: FetchResponse) throws {
        let top = try KafkaError.fromWire(wire.errorCode)
        guard let p = wire.responses.first?.partitions.first else {
            self.init(errorCode: top, currentLeader: LeaderAndEpoch(leaderId: nil, epoch: -1))
            return
        }
        let diverging = p.divergingEpoch.endOffset >= 0 ? OffsetAndEpoch(offset: p.divergingEpoch.endOffset, epoch: p.divergingEpoch.epoch) : nil
        let snapshot = p.snapshotId.endOffset >= 0 ? SnapshotId(endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch) : nil
        self.init(errorCode: top, partitionError: try KafkaError.fromWire(p.errorCode), highWatermark: p.highWatermark,
                  logStartOffset: p.logStartOffset, divergingEpoch: diverging,
                  currentLeader: LeaderAndEpoch(wireLeaderId: p.currentLeader.leaderId, epoch: p.currentLeader.leaderEpoch),
                  snapshotId: snapshot, records: try p.records.map(LogBatch.parse) ?? [])
    }

    /// The response at `version` (13+ names the topic by id).
    public func wire(version: Int16) -> FetchResponse {
        var r = FetchResponse()
        r.errorCode = errorCode.rawValue
        guard errorCode == .none else { return r }
        var p = FetchResponse.PartitionData()
        p.partitionIndex = RaftConfig.partition
        p.errorCode = partitionError.rawValue
        p.highWatermark = highWatermark
        p.lastStableOffset = -1
        p.logStartOffset = logStartOffset
        if let divergingEpoch {
            p.divergingEpoch.epoch = divergingEpoch.epoch
            p.divergingEpoch.endOffset = divergingEpoch.offset
        }
        p.currentLeader.leaderId = currentLeader.wireLeaderId
        p.currentLeader.leaderEpoch = currentLeader.epoch
        if let snapshotId {
            p.snapshotId.endOffset = snapshotId.endOffset
            p.snapshotId.epoch = snapshotId.epoch
        }
        var bytes = ByteBuffer()
        for batch in records {
            var b = batch.bytes
            bytes.writeBuffer(&b)
        }
        p.records = bytes
        var t = FetchResponse.FetchableTopicResponse()
        if version >= 13 { t.topicId = RaftConfig.topicId } else { t.topic = RaftConfig.topicName }
        t.partitions = [p]
        r.responses = [t]
        return r
    }
}
