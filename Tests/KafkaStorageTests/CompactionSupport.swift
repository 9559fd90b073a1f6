import KafkaProtocol
@testable import KafkaStorage
import NIOCore

/// One record as the compaction tests compare them.
struct StoredRecord: Hashable, CustomStringConvertible {
    var offset: Int64
    var key: String?
    var value: String?
    var description: String { "\(offset):\(key ?? "-")=\(value ?? "∅")" }
}

/// A batch of keyed records (nil value: a tombstone).
func keyedBatch(_ records: [(String?, String?)], timestamp: Int64 = 1_000, compression: CompressionCodec = .none,
                producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
                transactional: Bool = false) -> ByteBuffer {
    var builder = RecordBatchBuilder(compression: compression, producerId: producerId, producerEpoch: producerEpoch,
                                     baseSequence: baseSequence, isTransactional: transactional)
    for (i, (key, value)) in records.enumerated() {
        try! builder.append(timestamp: timestamp + Int64(i), key: key.map { ByteBuffer(string: $0) },
                            value: value.map { ByteBuffer(string: $0) })
    }
    return try! builder.build()
}

/// Every data record of the log in offset order (control batches left out).
func storedRecords(_ log: PartitionLog) throws -> [StoredRecord] {
    var result: [StoredRecord] = []
    for batch in try readAll(log) where !batch.header.isControl {
        var iterator = try batch.records()
        while let record = try iterator.next() {
            result.append(StoredRecord(offset: record.offset, key: record.key.map { String(buffer: $0) },
                                       value: record.value.map { String(buffer: $0) }))
        }
    }
    return result
}

/// The records a fully compacted log keeps: the last record of each key, tombstones included or not.
func lastPerKey(_ records: [StoredRecord], keepTombstones: Bool) -> [StoredRecord] {
    var last: [String: StoredRecord] = [:]
    for record in records { if let key = record.key { last[key] = record } }
    return last.values.filter { keepTombstones || $0.value != nil }.sorted { $0.offset < $1.offset }
}

/// One cleaning pass over `log` as `LogManager` runs it, the swap included; returns the pass result.
@discardableResult
func cleanOnce(_ log: PartitionLog, now: Int64, checkpoint: Int64? = nil, pendingHorizon: Int64? = nil,
               memory: Int = 1 << 20, fileSystem: (any FileSystem)? = nil) throws -> (CleanerPlanner.Assessment, LogCleaning.Result) {
    let snapshot = try log.cleaningSnapshot()
    let assessment = CleanerPlanner.assess(snapshot.plannerState(checkpoint: checkpoint, pendingDeleteHorizon: pendingHorizon),
                                           config: log.config, now: now)
    var map = OffsetMap(memory: memory)
    let cleaning = LogCleaning(snapshot: snapshot, fileSystem: fileSystem ?? log.fileSystem, now: now, ioBufferSize: 4096)
    let result = try cleaning.run(assessment, map: &map) { try log.replaceSegments(with: $0) }
    return (assessment, result)
}

/// Cleans until the checkpoint reaches the first uncleanable offset (several passes when the map is small).
func cleanFully(_ log: PartitionLog, now: Int64, memory: Int = 1 << 20, checkpoint: Int64? = nil) throws -> Int64 {
    var checkpoint = checkpoint
    for _ in 0..<1_000 {
        let (assessment, result) = try cleanOnce(log, now: now, checkpoint: checkpoint, memory: memory)
        checkpoint = result.endOffset
        if result.endOffset >= assessment.firstUncleanableOffset { break }
    }
    return checkpoint ?? 0
}

/// A compacted log config with small segments.
func compactedConfig(segmentBytes: Int64 = 2_000) -> LogConfig {
    var config = LogConfig()
    config.compact = true
    config.delete = false
    config.segmentBytes = segmentBytes
    config.deleteRetentionMs = 1_000
    config.minCleanableDirtyRatio = 0.01
    return config
}
