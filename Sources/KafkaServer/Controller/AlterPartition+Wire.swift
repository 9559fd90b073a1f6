import KafkaMetadata
import KafkaProtocol

// AlterPartition (KIP-497) both ways: the spec to the request a partition leader sends the active controller and
// back on the controller's listener, and the result to the response and back. Topics go by name before version 2
// and by id from it (KIP-841); the ISR goes as broker ids before version 3 and with broker epochs from it (KIP-903).

/// A topic of the request or of the response: the two generated types have the same naming fields.
private protocol AlterPartitionTopicData {
    associatedtype Partition
    init()
    var topicName: String { get set }
    var topicId: KafkaUUID { get set }
    var partitions: [Partition] { get set }
}

extension AlterPartitionTopicData {
    init(_ topic: AlterPartitionSpec.TopicReference, partitions: [Partition]) {
        self.init()
        switch topic {
        case .name(let name): topicName = name
        case .id(let id): topicId = id
        }
        self.partitions = partitions
    }

    func reference(version: Int16) -> AlterPartitionSpec.TopicReference {
        version >= 2 ? .id(topicId) : .name(topicName)
    }
}

extension AlterPartitionRequest.TopicData: AlterPartitionTopicData {}
extension AlterPartitionResponse.TopicData: AlterPartitionTopicData {}

extension AlterPartitionRequest {
    /// The request at the spec's version, which must also be the one it is encoded at: the generated encoder refuses
    /// a field the version cannot carry.
    init(spec: AlterPartitionSpec) {
        self.init()
        brokerId = spec.brokerId
        brokerEpoch = spec.brokerEpoch
        topics = spec.topics.map { t in
            TopicData(t.topic, partitions: t.partitions.map { PartitionData($0, version: spec.apiVersion) })
        }
    }

    /// The request as decoded at `version`: before version 3 the ISR members come without epochs (-1, unchecked).
    func spec(version: Int16) -> AlterPartitionSpec {
        AlterPartitionSpec(brokerId: brokerId, brokerEpoch: brokerEpoch, topics: topics.map { t in
            AlterPartitionSpec.Topic(topic: t.reference(version: version), partitions: t.partitions.map { p in
                AlterPartitionSpec.Partition(
                    partitionIndex: p.partitionIndex, leaderEpoch: p.leaderEpoch,
                    newIsrWithEpochs: version >= 3
                        ? p.newIsrWithEpochs.map { .init(brokerId: $0.brokerId, brokerEpoch: $0.brokerEpoch) }
                        : p.newIsr.map { .init(brokerId: $0) },
                    leaderRecoveryState: p.leaderRecoveryState, partitionEpoch: p.partitionEpoch)
            })
        }, apiVersion: version)
    }
}

extension AlterPartitionRequest.PartitionData {
    init(_ p: AlterPartitionSpec.Partition, version: Int16) {
        self.init()
        partitionIndex = p.partitionIndex
        leaderEpoch = p.leaderEpoch
        if version >= 3 {
            newIsrWithEpochs = p.newIsrWithEpochs.map {
                var state = AlterPartitionRequest.BrokerState()
                state.brokerId = $0.brokerId
                state.brokerEpoch = $0.brokerEpoch
                return state
            }
        } else {
            newIsr = p.newIsrWithEpochs.map(\.brokerId)
        }
        if version >= 1 { leaderRecoveryState = p.leaderRecoveryState }
        partitionEpoch = p.partitionEpoch
    }
}

extension AlterPartitionResponse {
    init(result: AlterPartitionResult) {
        self.init()
        errorCode = result.error.code
        topics = result.topics.map { TopicData($0.topic, partitions: $0.partitions.map(PartitionData.init)) }
    }

    /// The response as decoded at `version`; it carries no messages, so every error is its code alone.
    func result(version: Int16) -> AlterPartitionResult {
        AlterPartitionResult(error: ApiError(code: errorCode, message: nil), topics: topics.map { t in
            AlterPartitionResult.Topic(topic: t.reference(version: version), partitions: t.partitions.map { p in
                let error = ApiError(code: p.errorCode, message: nil)
                guard error.isSuccess else { return .init(partitionIndex: p.partitionIndex, error: error) }
                return .init(partitionIndex: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch,
                             isr: p.isr, leaderRecoveryState: p.leaderRecoveryState, partitionEpoch: p.partitionEpoch)
            })
        })
    }
}

extension AlterPartitionResponse.PartitionData {
    /// A refused partition carries its code alone, as Kafka's does.
    init(_ p: AlterPartitionResult.Partition) {
        self.init()
        partitionIndex = p.partitionIndex
        errorCode = p.error.code
        guard p.error.isSuccess else { return }
        leaderId = p.leaderId
        leaderEpoch = p.leaderEpoch
        isr = p.isr
        leaderRecoveryState = p.leaderRecoveryState
        partitionEpoch = p.partitionEpoch
    }
}
