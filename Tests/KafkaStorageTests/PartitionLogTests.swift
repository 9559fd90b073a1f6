import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct PartitionLogTests {
    @Test func appendAssignsOffsetsInPlaceAndReads() throws {
        let (_, log) = try memoryLog()
        var records = makeBatch(count: 3)
        records.writeImmutableBuffer(makeBatch(count: 2))
        let info = try log.append(&records, origin: .leader(epoch: 7), now: 0)
        #expect(info.firstOffset == 0 && info.lastOffset == 4 && info.recordsCount == 5)
        #expect(log.logEndOffset == 5)
        // The caller's buffer was patched: second batch's base offset 3, epoch 7, CRC still valid.
        let split = try RecordBatchIterator.split(records).batches
        #expect(split[1].header.baseOffset == 3 && split[1].header.partitionLeaderEpoch == 7 && split[1].hasValidCRC)
        try appendBatch(log, makeBatch(count: 4), epoch: 8)
        let read = try log.read(from: 4, maxBytes: 1 << 20)
        let found = try batches(in: read.region)
        #expect(found.map(\.header.baseOffset) == [3, 5])
        #expect(found.allSatisfy { $0.hasValidCRC })
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 7, startOffset: 0), EpochEntry(epoch: 8, startOffset: 5)])
        #expect(log.endOffset(forLeaderEpoch: 7)! == (7, 5))
        // At the end: nothing; past the end or below the start: out of range.
        #expect(try log.read(from: 9, maxBytes: 100).region == nil)
        #expect(throws: StorageError.self) { _ = try log.read(from: 10, maxBytes: 100) }
    }

    @Test func readReturnsAtLeastOneWholeBatchAndRespectsMaxOffset() throws {
        let (_, log) = try memoryLog()
        for _ in 0 ..< 5 { try appendBatch(log, makeBatch(count: 2, valueSize: 500)) }
        let size = makeBatch(count: 2, valueSize: 500).readableBytes
        let small = try log.read(from: 0, maxBytes: 10)
        #expect(small.region?.length == size)
        let cut = try log.read(from: 0, maxBytes: size + 10)
        #expect(cut.region?.length == size + 10)  // Kafka-style partial tail
        let bounded = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 4)
        #expect(try batches(in: bounded.region).map(\.header.baseOffset) == [0, 2])
        #expect(try log.read(from: 4, maxBytes: 1 << 20, maxOffset: 4).region == nil)
    }

    @Test func rollsBySizeAndIndexesSparsely() throws {
        var config = LogConfig()
        config.segmentBytes = 20_000
        let (fs, log) = try memoryLog(config: config)
        for _ in 0 ..< 100 { try appendBatch(log, makeBatch(count: 1, valueSize: 1_000)) }
        #expect(log.segmentBaseOffsets.count > 4)
        #expect(log.segmentBaseOffsets.first == 0)
        #expect(log.segments.dropLast().allSatisfy { $0.size <= 20_000 })
        // Every offset reads back as its own batch, through the sparse index.
        for offset in stride(from: Int64(0), to: 100, by: 7) {
            let found = try batches(in: log.read(from: offset, maxBytes: 1).region)
            #expect(found.first?.header.baseOffset == offset)
        }
        // A rolled segment's index file holds an entry per ~4 KiB and was trimmed.
        let first = log.segments[0]
        let indexBytes = fs.contents(of: first.indexPath)!.count
        #expect(indexBytes > 0 && indexBytes % 8 == 0 && indexBytes <= 20_000 / 4096 * 8)
        #expect(fs.contents(of: first.timeIndexPath)!.count % 12 == 0)
        // A snapshot was taken at each roll.
        let snapshots = try fs.listDirectory("/data/t-0").filter { $0.hasSuffix(".snapshot") }
        #expect(snapshots.count == log.segmentBaseOffsets.count - 1)
    }

    @Test func rollsByTime() throws {
        var config = LogConfig()
        config.segmentMs = 1_000
        let (_, log) = try memoryLog(config: config)
        try appendBatch(log, makeBatch(timestamp: 10_000))
        try appendBatch(log, makeBatch(timestamp: 10_500))
        #expect(log.segmentBaseOffsets == [0])
        try appendBatch(log, makeBatch(timestamp: 11_001))
        #expect(log.segmentBaseOffsets == [0, 2])
    }

    @Test func offsetForTimestamp() throws {
        var config = LogConfig()
        config.segmentBytes = 3_000
        let (_, log) = try memoryLog(config: config)
        for i in 0 ..< 30 { try appendBatch(log, makeBatch(count: 3, timestamp: Int64(1_000 + i * 10), valueSize: 200)) }
        #expect(log.segmentBaseOffsets.count > 3)
        // Batch i holds offsets 3i..3i+2 with timestamps 1000+10i .. +2.
        #expect(try log.offset(for: .timestamp(1_000)) == TimestampOffset(timestamp: 1_000, offset: 0))
        #expect(try log.offset(for: .timestamp(1_101)) == TimestampOffset(timestamp: 1_101, offset: 31))
        #expect(try log.offset(for: .timestamp(1_103)) == TimestampOffset(timestamp: 1_110, offset: 33))
        #expect(try log.offset(for: .timestamp(5_000)) == nil)
        #expect(try log.offset(for: .maxTimestamp) == TimestampOffset(timestamp: 1_292, offset: 89))
        #expect(try log.offset(for: .earliest)?.offset == 0)
        #expect(try log.offset(for: .latest)?.offset == 90)
        #expect(OffsetSpec(listOffsetsTimestamp: -3) == .maxTimestamp)
    }

    @Test func truncateRemovesBatchesSegmentsAndState() throws {
        var config = LogConfig()
        config.segmentBytes = 2_000
        let (_, log) = try memoryLog(config: config)
        for i in 0 ..< 20 {
            try appendBatch(log, makeBatch(count: 2, valueSize: 300, producerId: 9, producerEpoch: 0, baseSequence: Int32(i * 2)),
                            epoch: Int32(i / 10))
        }
        log.updateHighWatermark(40)
        #expect(log.highWatermark == 40)
        let segmentsBefore = log.segmentBaseOffsets.count
        try log.truncate(to: 12, now: 0)
        #expect(log.logEndOffset == 12 && log.highWatermark == 12)
        #expect(log.segmentBaseOffsets.count < segmentsBefore)
        #expect(try readAll(log).last?.header.lastOffset == 11)
        #expect(log.producerEntry(9)?.lastSequence == 11)
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 0, startOffset: 0)])
        // Appends continue from the new end.
        #expect(try appendBatch(log, makeBatch()).firstOffset == 12)
        try log.truncateFully(startAt: 100, now: 0)
        #expect(log.logStartOffset == 100 && log.logEndOffset == 100 && log.segmentBaseOffsets == [100])
        #expect(try appendBatch(log, makeBatch()).firstOffset == 100)
    }

    /// A replica that became leader of epoch 3 and was replaced before appending holds (3, end) in its history;
    /// truncating to its own end must drop it, or its next fetch names epoch 3 and is told to truncate again.
    @Test func truncateToTheLogEndDropsAnEpochStartedThere() throws {
        let (_, log) = try memoryLog(config: LogConfig())
        for _ in 0 ..< 3 { try appendBatch(log, makeBatch(count: 2), epoch: 1) }
        try log.assignEpochStartOffset(3)
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 3, startOffset: 6)])
        try log.truncate(to: 6, now: 0)
        #expect(log.logEndOffset == 6)
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0)])
    }

    @Test func deleteRecordsAndRetention() throws {
        var config = LogConfig()
        config.segmentBytes = 2_000
        config.retentionMs = nil
        let (_, log) = try memoryLog(config: config)
        for i in 0 ..< 40 { try appendBatch(log, makeBatch(count: 1, timestamp: Int64(i) * 1_000, valueSize: 300)) }
        let segmentCount = log.segmentBaseOffsets.count
        #expect(throws: StorageError.self) { try log.deleteRecords(before: 10, now: 0) }  // above the HW
        log.updateHighWatermark(log.logEndOffset)
        try log.deleteRecords(before: 10, now: 0)
        #expect(log.logStartOffset == 10)
        #expect(log.segmentBaseOffsets.first! <= 10 && log.segmentBaseOffsets.count < segmentCount)
        #expect(throws: StorageError.self) { _ = try log.read(from: 9, maxBytes: 10) }
        #expect(try batches(in: log.read(from: 10, maxBytes: 1).region).first?.header.baseOffset == 10)
        // By size: keep at most ~4 KiB.
        #expect(try log.applyRetention(now: 0, retentionBytes: 4_000) > 0)
        #expect(log.sizeInBytes - log.segments.last!.size <= 4_000)
        // By time: everything older than 1 s at now = 100 s, except the active segment.
        try log.applyRetention(now: 100_000, retentionMs: 1_000)
        #expect(log.segmentBaseOffsets.count == 1)
        #expect(log.logStartOffset == log.segmentBaseOffsets[0])
    }

    @Test func retentionPlannerNeverDeletesActiveOrAboveHighWatermark() {
        let segments = (0 ..< 4).map { LogPlanner.SegmentState(baseOffset: Int64($0 * 10), size: 100, largestTimestamp: 0) }
        #expect(LogPlanner.segmentsToDelete(segments, logStartOffset: 0, highWatermark: 40, now: 1_000, retentionMs: 10, retentionBytes: nil) == (3, .retentionTime))
        #expect(LogPlanner.segmentsToDelete(segments, logStartOffset: 0, highWatermark: 15, now: 1_000, retentionMs: 10, retentionBytes: nil) == (1, .retentionTime))
        #expect(LogPlanner.segmentsToDelete(segments, logStartOffset: 25, highWatermark: 40, now: 0, retentionMs: nil, retentionBytes: nil) == (2, .logStartOffset))
        #expect(LogPlanner.segmentsToDelete(segments, logStartOffset: 0, highWatermark: 40, now: 0, retentionMs: nil, retentionBytes: 250) == (1, .retentionSize))
    }

    @Test func followerAppendKeepsOffsets() throws {
        let (_, leader) = try memoryLog(directory: "/l/t-0")
        for _ in 0 ..< 3 { try appendBatch(leader, makeBatch(count: 2), epoch: 4) }
        let (_, follower) = try memoryLog(directory: "/f/t-0")
        var fetched = try leader.read(from: 0, maxBytes: 1 << 20).region!.bytes()
        let info = try follower.append(&fetched, origin: .replication, now: 0)
        #expect(info.firstOffset == 0 && info.lastOffset == 5 && follower.logEndOffset == 6)
        #expect(follower.leaderEpochs.latestEpoch == 4)
        var again = try leader.read(from: 0, maxBytes: 1 << 20).region!.bytes()
        #expect(throws: StorageError.self) { try follower.append(&again, origin: .replication, now: 0) }
    }

    @Test func transactionsTrackLastStableOffsetAndAbortedIndex() throws {
        let (fs, log) = try memoryLog()
        try appendBatch(log, makeBatch(count: 2))                                     // 0-1
        try appendBatch(log, makeBatch(count: 3, producerId: 5, producerEpoch: 0, baseSequence: 0, transactional: true)) // 2-4
        try appendBatch(log, makeBatch(count: 1, producerId: 6, producerEpoch: 0, baseSequence: 0, transactional: true)) // 5
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 2)
        let abort = try appendBatch(log, makeMarker(commit: false, producerId: 5))    // 6
        #expect(abort.completedTransactions == [CompletedTransaction(producerId: 5, firstOffset: 2, lastOffset: 6, isAborted: true)])
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 5)
        try appendBatch(log, makeMarker(commit: true, producerId: 6))                 // 7
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 8)
        let aborted = AbortedTransaction(producerId: 5, firstOffset: 2, lastOffset: 6, lastStableOffset: 5)
        #expect(log.collectAbortedTransactions(from: 0, upTo: 8) == [aborted])
        #expect(log.collectAbortedTransactions(from: 7, upTo: 8) == [])
        try log.flush(now: 0)
        let txnindex = log.segments[0].transactionIndexPath
        #expect(try TransactionIndex.parse(ByteBuffer(bytes: fs.contents(of: txnindex)!)) == [aborted])
        // Rebuilt identically by recovery.
        try fs.remove(txnindex)
        let reopened = try reopen(fs)
        #expect(reopened.collectAbortedTransactions(from: 0, upTo: 8) == [aborted])
        #expect(reopened.producerState.firstUnstableOffset == nil)
    }

    @Test func posixLogAppendsAndReopens() throws {
        let root = temporaryDirectory()
        defer { try? PosixFileSystem().removeRecursively(root) }
        let fs = PosixFileSystem()
        var config = LogConfig()
        config.segmentBytes = 10_000
        let cache = FileHandleCache(fileSystem: fs, maxOpenFiles: 2)
        let log = try PartitionLog.open(directory: root + "/p-0", topicPartition: TopicPartition("p", 0), config: config,
                                        cache: cache, cleanShutdown: false, now: 0)
        for _ in 0 ..< 50 { try appendBatch(log, makeBatch(count: 2, valueSize: 400)) }
        #expect(cache.openFileCount <= 2)
        let region = try log.read(from: 33, maxBytes: 1).region!
        #expect(region.file.descriptor != nil)
        #expect(try batches(in: region).first?.header.baseOffset == 32)
        try log.close(now: 0)
        let again = try PartitionLog.open(directory: root + "/p-0", topicPartition: TopicPartition("p", 0), config: config,
                                          cache: FileHandleCache(fileSystem: fs), cleanShutdown: true, now: 0)
        #expect(again.logEndOffset == 100)
        #expect(try readAll(again).count == 50)
    }
}
