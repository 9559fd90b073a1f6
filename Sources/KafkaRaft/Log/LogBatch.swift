import KafkaProtocol
import NIOCore

/// One record batch of the metadata log, in Kafka's magic-2 format, with the header fields the quorum needs.
/// The bytes are exactly what goes into a segment file and into a Fetch response.
public struct LogBatch: Hashable, Sendable {
    public let baseOffset: Int64
    public let lastOffset: Int64
    /// The batch's partition leader epoch: the epoch of the leader that appended it.
    public let epoch: Int32
    public let isControl: Bool
    public let bytes: ByteBuffer

    /// The offset after this batch.
    public var endOffset: Int64 { lastOffset + 1 }
    public var sizeInBytes: Int { bytes.readableBytes }

    /// Wraps a batch read from a Fetch response or a segment file.
    public init(_ batch: RecordBatch) {
        let header = batch.header
        baseOffset = header.baseOffset
        lastOffset = header.baseOffset + Int64(header.lastOffsetDelta)
        epoch = header.partitionLeaderEpoch
        isControl = header.isControl
        bytes = batch.buffer
    }

    /// Every batch of a records field, in order; a torn tail (a partial batch) is dropped, as Kafka drops it.
    public static func parse(_ records: ByteBuffer) throws -> [LogBatch] {
        var iterator = RecordBatchIterator(records)
        var batches: [LogBatch] = []
        while let batch = try iterator.next() { batches.append(LogBatch(batch)) }
        return batches
    }

    /// A data batch of `records` (record values; KRaft metadata records have no key) appended by the leader
    /// of `epoch` at `baseOffset`, stamped `timestamp`.
    public static func data(records: [ByteBuffer], baseOffset: Int64, epoch: Int32, timestamp: Int64) throws -> LogBatch {
        var builder = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: epoch, baseTimestamp: timestamp,
                                         initialCapacity: records.reduce(RecordBatchHeader.size) { $0 + $1.readableBytes + 16 })
        for value in records { try builder.append(timestamp: timestamp, key: nil, value: value) }
        return LogBatch(try RecordBatch(try builder.build()))
    }

    /// The LeaderChangeMessage control batch a new leader appends at the start of its epoch (KIP-595): the
    /// high watermark may only advance once a majority holds it.
    public static func leaderChange(leaderId: Int32, voters: [Int32], grantingVoters: [Int32], baseOffset: Int64,
                                    epoch: Int32, timestamp: Int64) throws -> LogBatch {
        var message = LeaderChangeMessage()
        message.version = 0
        message.leaderId = leaderId
        message.voters = voters.map { var v = LeaderChangeMessage.Voter(); v.voterId = $0; return v }
        message.grantingVoters = grantingVoters.map { var v = LeaderChangeMessage.Voter(); v.voterId = $0; return v }
        var value = ByteBuffer()
        try message.encode(into: &value, version: 0)
        let bytes = try RecordBatchBuilder.controlBatch(type: .leaderChange, value: value, timestamp: timestamp,
                                                        baseOffset: baseOffset, partitionLeaderEpoch: epoch)
        return LogBatch(try RecordBatch(bytes))
    }

    /// The values of the batch's records (control batches give their control record values).
    public func recordValues() throws -> [ByteBuffer] {
        var values: [ByteBuffer] = []
        try RecordBatch(bytes).forEachRecord { record in values.append(record.value ?? ByteBuffer()) }
        return values
    }
}
