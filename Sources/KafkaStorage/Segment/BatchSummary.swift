import KafkaProtocol
import NIOCore

/// The header fields of one stored batch the log works with, and where the batch is. Built from the 61-byte
/// header alone, so producing it never touches (or decompresses) the records.
public struct BatchSummary: Hashable, Sendable {
    /// Byte position of the batch in its segment's `.log`.
    public var position: Int64
    /// Size of the whole batch in bytes.
    public var size: Int
    public var baseOffset: Int64
    public var lastOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var lastSequence: Int32
    public var recordsCount: Int32
    public var isTransactional: Bool
    public var isControl: Bool

    /// Reads the fields of a checked header.
    public init(_ header: RecordBatchHeader, position: Int64) {
        self.position = position
        self.size = header.totalSize
        self.baseOffset = header.baseOffset
        self.lastOffset = header.lastOffset
        self.partitionLeaderEpoch = header.partitionLeaderEpoch
        self.maxTimestamp = header.maxTimestamp
        self.producerId = header.producerId
        self.producerEpoch = header.producerEpoch
        self.baseSequence = header.baseSequence
        self.lastSequence = header.lastSequence
        self.recordsCount = header.recordsCount
        self.isTransactional = header.isTransactional
        self.isControl = header.isControl
    }

    /// The offset after the batch.
    public var nextOffset: Int64 { lastOffset + 1 }
    /// Whether the batch is a COMMIT/ABORT marker candidate (control + transactional).
    public var isTransactionMarker: Bool { isControl && isTransactional }
}

/// A transaction marker found in a control batch.
public struct MarkerInfo: Hashable, Sendable {
    public var isCommit: Bool
    public var coordinatorEpoch: Int32
}

extension MarkerInfo {
    /// Reads the COMMIT/ABORT marker of a control batch; nil when the batch holds some other control record.
    public static func read(from batch: RecordBatch) -> MarkerInfo? {
        guard let iterator = try? batch.records(maxDecompressedBytes: 1 << 20) else { return nil }
        var records = iterator
        guard let record = try? records.next(), let marker = try? EndTransactionMarker(record: record) else { return nil }
        return MarkerInfo(isCommit: marker.isCommit, coordinatorEpoch: marker.coordinatorEpoch)
    }
}
