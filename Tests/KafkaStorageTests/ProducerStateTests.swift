import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct ProducerStateTests {
    func summary(producerId: Int64, epoch: Int16, baseSequence: Int32, count: Int32, offset: Int64,
                 transactional: Bool = false) throws -> BatchSummary {
        var records = makeBatch(count: Int(count), producerId: producerId, producerEpoch: epoch,
                                baseSequence: baseSequence, transactional: transactional)
        try RecordBatchHeader.setBaseOffset(offset, in: &records, batchAt: 0)
        return BatchSummary(try RecordBatchHeader(records), position: 0)
    }

    @Test func sequenceChecks() throws {
        var table = ProducerStateTable()
        #expect(table.check(producerId: 1, producerEpoch: 0, firstSequence: 17, lastSequence: 18) == .accept)  // unknown
        table.apply(try summary(producerId: 1, epoch: 0, baseSequence: 0, count: 5, offset: 100))
        table.apply(try summary(producerId: 1, epoch: 0, baseSequence: 5, count: 5, offset: 200))
        #expect(table.check(producerId: 1, producerEpoch: 0, firstSequence: 10, lastSequence: 12) == .accept)
        #expect(table.check(producerId: 1, producerEpoch: 0, firstSequence: 0, lastSequence: 4)
                == .duplicate(ProducerBatchMetadata(firstSequence: 0, lastSequence: 4, firstOffset: 100, lastOffset: 104, timestamp: 1_004)))
        #expect(table.check(producerId: 1, producerEpoch: 0, firstSequence: 11, lastSequence: 12) == .outOfOrderSequence(expected: 10, received: 11))
        #expect(table.check(producerId: 1, producerEpoch: 1, firstSequence: 3, lastSequence: 3) == .outOfOrderSequence(expected: 0, received: 3))
        #expect(table.check(producerId: 1, producerEpoch: 1, firstSequence: 0, lastSequence: 3) == .accept)
        table.apply(try summary(producerId: 1, epoch: 2, baseSequence: 0, count: 1, offset: 300))
        #expect(table.check(producerId: 1, producerEpoch: 1, firstSequence: 0, lastSequence: 0) == .invalidProducerEpoch(current: 2, received: 1))
        #expect(table.entry(1)?.batches.count == 1)
        // Only the last five batches are remembered.
        for i in 1 ... 7 { table.apply(try summary(producerId: 1, epoch: 2, baseSequence: Int32(i), count: 1, offset: 300 + Int64(i))) }
        #expect(table.entry(1)?.batches.map(\.firstSequence) == [3, 4, 5, 6, 7])
        // Sequence wrap-around.
        table.apply(try summary(producerId: 2, epoch: 0, baseSequence: Int32.max - 1, count: 2, offset: 500))
        #expect(table.check(producerId: 2, producerEpoch: 0, firstSequence: 0, lastSequence: 0) == .accept)
    }

    @Test func snapshotRoundTrip() throws {
        var table = ProducerStateTable()
        table.apply(try summary(producerId: 7, epoch: 3, baseSequence: 10, count: 4, offset: 40))
        table.apply(try summary(producerId: 8, epoch: 0, baseSequence: 0, count: 2, offset: 44, transactional: true))
        let bytes = try ProducerSnapshotFile.encode(table)
        #expect(bytes.getInteger(at: 0, as: Int16.self) == 1)
        #expect(bytes.readableBytes == 10 + 2 * 46)
        let decoded = try ProducerSnapshotFile.decode(bytes, offset: 46)
        #expect(decoded.entry(7) == table.entry(7))
        #expect(decoded.entry(8) == table.entry(8))
        #expect(decoded.firstUnstableOffset == 44)
        #expect(decoded.mapEndOffset == 46)
        var corrupt = bytes
        corrupt.setInteger(UInt8(0xAA), at: 20)
        #expect(throws: StorageError.self) { try ProducerSnapshotFile.decode(corrupt, offset: 46) }
    }

    @Test func kafkaWrittenSnapshotsDecode() throws {
        let root = kafkaCaptureDirectory()
        let posix = PosixFileSystem()
        let aaa = try ProducerSnapshotFile.decode(try posix.readFile(root + "/AAA-topic-0/00000000000000000002.snapshot"), offset: 2)
        #expect(aaa.producers.count == 1)
        let txa = try ProducerSnapshotFile.decode(try posix.readFile(root + "/acc-txa-1795486449707-zcltgt-0/00000000000000000010.snapshot"), offset: 10)
        #expect(txa.entry(1)?.lastOffset == 8 && txa.entry(1)?.producerEpoch == 0)
        let empty = try ProducerSnapshotFile.decode(try posix.readFile(root + "/__consumer_offsets-4/00000000000000001013.snapshot"), offset: 1013)
        #expect(empty.producers.isEmpty)
        // Re-encoding gives Kafka's bytes back.
        let original = try posix.readFile(root + "/acc-txa-1795486449707-zcltgt-0/00000000000000000010.snapshot")
        #expect(try ProducerSnapshotFile.encode(txa) == original)
    }

    @Test func stateRebuiltFromSnapshotAndLogAfterIt() throws {
        var config = LogConfig()
        config.segmentBytes = 1_500
        let (fs, log) = try memoryLog(config: config)
        var lastInfo: LogAppendInfo?
        for i in 0 ..< 30 {
            lastInfo = try appendBatch(log, makeBatch(count: 2, valueSize: 100, producerId: 42, producerEpoch: 1, baseSequence: Int32(i * 2)))
        }
        let expected = log.producerEntry(42)
        try log.flush(now: 0)
        fs.crash()
        // From the newest snapshot (taken at the last roll) plus the batches after it.
        let reopened = try reopen(fs, config: config, checkpoints: .init(recoveryPoint: 60))
        #expect(reopened.producerEntry(42)?.lastSequence == 59)
        #expect(reopened.producerEntry(42)?.batches.last == expected?.batches.last)
        #expect(reopened.checkSequence(producerId: 42, producerEpoch: 1, firstSequence: 58, lastSequence: 59)
                == .duplicate(ProducerBatchMetadata(firstSequence: 58, lastSequence: 59, firstOffset: lastInfo!.firstOffset,
                                                    lastOffset: lastInfo!.lastOffset, timestamp: 1_001)))
        // With every snapshot gone, from the whole log.
        for name in try fs.listDirectory("/data/t-0") where name.hasSuffix(".snapshot") { try fs.remove("/data/t-0/" + name) }
        let rebuilt = try reopen(fs, config: config, clean: true)
        #expect(rebuilt.producerEntry(42)?.batches == expected?.batches)
    }
}
