import KafkaProtocol

/// Sequence and offset range of one appended batch of an idempotent producer (Kafka's BatchMetadata).
public struct ProducerBatchMetadata: Hashable, Sendable {
    public var firstSequence: Int32
    public var lastSequence: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The batch's maxTimestamp.
    public var timestamp: Int64

    public init(firstSequence: Int32, lastSequence: Int32, firstOffset: Int64, lastOffset: Int64, timestamp: Int64) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.timestamp = timestamp
    }
}

/// What the partition knows about one producer id (Kafka's ProducerStateEntry).
public struct ProducerStateEntry: Hashable, Sendable {
    /// How many recent batches are remembered for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN): a client
    /// has at most 5 requests in flight per connection when idempotent.
    public static let batchesToRetain = 5

    public var producerId: Int64
    public var producerEpoch: Int16
    /// The most recent batches of the current epoch, oldest first.
    public var batches: [ProducerBatchMetadata] = []
    /// Epoch of the coordinator that wrote the producer's last transaction marker, -1 when none.
    public var coordinatorEpoch: Int32 = -1
    /// First offset of the producer's open transaction in this partition, nil when none.
    public var currentTransactionFirstOffset: Int64?
    /// Timestamp of the producer's last batch or marker (producer-id expiration measures from it).
    public var lastTimestamp: Int64 = -1

    public init(producerId: Int64, producerEpoch: Int16) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    /// Last sequence written in the current epoch, -1 when none.
    public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    /// Last offset written by the producer, -1 when none.
    public var lastOffset: Int64 { batches.last?.lastOffset ?? -1 }

    /// The remembered batch with exactly this sequence range, if any (a retried batch).
    public func duplicate(firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    /// Switches to `epoch`, forgetting the previous epoch's batches (sequences restart with a new epoch).
    mutating func updateEpoch(_ epoch: Int16) {
        if epoch != producerEpoch {
            producerEpoch = epoch
            batches.removeAll()
        }
    }

    mutating func addBatch(_ batch: ProducerBatchMetadata) {
        batches.append(batch)
        if batches.count > Self.batchesToRetain { batches.removeFirst(batches.count - Self.batchesToRetain) }
        lastTimestamp = batch.timestamp
    }
}

/// The verdict on an incoming idempotent batch. The broker maps these to error codes:
/// `.duplicate` → answer success with the original offsets; `.outOfOrderSequence` → OUT_OF_ORDER_SEQUENCE_NUMBER;
/// `.invalidProducerEpoch` → INVALID_PRODUCER_EPOCH (Kafka 2.7+; older clients knew PRODUCER_FENCED).
public enum SequenceCheck: Hashable, Sendable {
    /// Append it.
    case accept
    /// Already appended: do not append again.
    case duplicate(ProducerBatchMetadata)
    /// A gap or repeat that is not one of the remembered batches.
    case outOfOrderSequence(expected: Int32, received: Int32)
    /// The producer was fenced by a newer epoch.
    case invalidProducerEpoch(current: Int16, received: Int16)
}

/// A transaction that a COMMIT or ABORT marker ended.
public struct CompletedTransaction: Hashable, Sendable {
    public var producerId: Int64
    public var firstOffset: Int64
    /// The marker's offset.
    public var lastOffset: Int64
    public var isAborted: Bool
}
