import KafkaProtocol

/// A block of producer ids handed to a broker (AllocateProducerIds, KIP-730).
public struct ProducerIdBlock: Hashable, Sendable {
    /// Kafka's block size.
    public static let size: Int32 = 1000

    public var error: ApiError
    public var firstProducerId: Int64
    public var count: Int32

    public init(error: ApiError = .none, firstProducerId: Int64 = -1, count: Int32 = 0) {
        self.error = error
        self.firstProducerId = firstProducerId
        self.count = count
    }
}

extension QuorumController {
    /// AllocateProducerIds: the next block of 1000 ids, recorded as a ProducerIdsRecord whose nextProducerId is
    /// the first id after the block.
    public func allocateProducerIds(brokerId: Int32, brokerEpoch: Int64) -> ControllerResult<ProducerIdBlock> {
        if let error = checkBrokerEpoch(brokerId, brokerEpoch) {
            return ControllerResult(records: [], response: ProducerIdBlock(error: error))
        }
        let first = image.nextProducerId
        guard first <= Int64.max - Int64(ProducerIdBlock.size) else {
            return ControllerResult(records: [], response: ProducerIdBlock(error: ApiError(
                .unknownServerError,
                "Exhausted all producerIds as the next block's end producerId has exceeded the int64 type limit")))
        }
        var record = ProducerIdsRecord()
        record.brokerId = brokerId
        record.brokerEpoch = brokerEpoch
        record.nextProducerId = first + Int64(ProducerIdBlock.size)
        return ControllerResult(
            records: [.producerIds(record)],
            response: ProducerIdBlock(firstProducerId: first, count: ProducerIdBlock.size))
    }
}
