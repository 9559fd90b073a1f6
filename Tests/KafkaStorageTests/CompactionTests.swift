import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// The cleaner end to end on one log: what it keeps, what it removes, offsets, codecs, tombstones.
@Suite struct CompactionTests {
    /// Appends `updates` records over `keys` keys (every `tombstoneEvery`-th a tombstone), `perBatch` a batch.
    func fill(_ log: PartitionLog, updates: Int, keys: Int, perBatch: Int = 5, tombstoneEvery: Int = 7,
              seed: UInt64 = 1, compression: CompressionCodec = .none) throws -> [StoredRecord] {
        var rng = SplitMix64(seed: seed)
        var appended: [StoredRecord] = []
        var i = 0
        while i < updates {
            var records: [(String?, String?)] = []
            for _ in 0..<min(perBatch, updates - i) {
                let key = "key-\(rng.next() % UInt64(keys))"
                let value: String? = i % tombstoneEvery == tombstoneEvery - 1 ? nil : "v\(i)"
                records.append((key, value))
                appended.append(StoredRecord(offset: Int64(i), key: key, value: value))
                i += 1
            }
            try appendBatch(log, keyedBatch(records, compression: compression))
        }
        return appended
    }

    @Test func keepsTheLastValueOfEachKeyWithOffsets() throws {
        let (_, log) = try memoryLog(config: compactedConfig())
        let appended = try fill(log, updates: 2_000, keys: 50)
        log.updateHighWatermark(log.logEndOffset)
        let activeBase = log.segmentBaseOffsets.last!
        _ = try cleanFully(log, now: 10_000)
        let after = try storedRecords(log)
        // Below the active segment: the last record of each key (tombstones kept: their horizon has not passed).
        let expectedClean = lastPerKey(appended.filter { $0.offset < activeBase }, keepTombstones: true)
        #expect(after.filter { $0.offset < activeBase } == expectedClean)
        // The active segment is never touched.
        #expect(after.filter { $0.offset >= activeBase } == appended.filter { $0.offset >= activeBase })
        #expect(log.logEndOffset == 2_000)
        // Tombstones now carry a delete horizon; after it, the next cleaning removes them.
        let stamped = try readAll(log).filter { $0.header.baseOffset < activeBase && $0.header.hasDeleteHorizon }
        #expect(!stamped.isEmpty)
        #expect(stamped.allSatisfy { $0.header.deleteHorizon == 10_000 + 1_000 })
        _ = try cleanOnce(log, now: 20_000, checkpoint: activeBase, pendingHorizon: 11_000)
        let final = try storedRecords(log).filter { $0.offset < activeBase }
        #expect(final == lastPerKey(appended.filter { $0.offset < activeBase }, keepTombstones: false))
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func rebuiltBatchesKeepTheirCodec(codec: CompressionCodec) throws {
        let (_, log) = try memoryLog(config: compactedConfig())
        let appended = try fill(log, updates: 600, keys: 20, perBatch: 10, compression: codec)
        log.updateHighWatermark(log.logEndOffset)
        let activeBase = log.segmentBaseOffsets.last!
        _ = try cleanFully(log, now: 10_000)
        let batches = try readAll(log)
        #expect(batches.allSatisfy { $0.header.recordsCount == 0 || $0.header.compression == codec })
        #expect(batches.allSatisfy { $0.hasValidCRC })
        #expect(try storedRecords(log).filter { $0.offset < activeBase }
            == lastPerKey(appended.filter { $0.offset < activeBase }, keepTombstones: true))
    }

    @Test func aSmallMapCleansInSeveralPassesToTheSameResult() throws {
        let (_, big) = try memoryLog(config: compactedConfig(), directory: "/a/t-0")
        let (_, small) = try memoryLog(config: compactedConfig(), directory: "/b/t-0")
        let appended = try fill(big, updates: 1_500, keys: 200, seed: 7)
        _ = try fill(small, updates: 1_500, keys: 200, seed: 7)
        for log in [big, small] { log.updateHighWatermark(log.logEndOffset) }
        _ = try cleanFully(big, now: 10_000)
        // 40 slots: far fewer than 200 keys.
        var passes = 0
        var checkpoint: Int64?
        while passes < 100 {
            let (assessment, result) = try cleanOnce(small, now: 10_000, checkpoint: checkpoint, memory: 40 * OffsetMap.bytesPerEntry)
            passes += 1
            checkpoint = result.endOffset
            if result.endOffset >= assessment.firstUncleanableOffset { break }
        }
        #expect(passes > 2)
        // Later passes clean the whole log again with fresh maps, so the result converges to the big map's.
        for _ in 0..<20 { _ = try cleanOnce(small, now: 10_000, checkpoint: 0, memory: 40 * OffsetMap.bytesPerEntry) }
        _ = try cleanFully(small, now: 10_000, memory: 40 * OffsetMap.bytesPerEntry, checkpoint: 0)
        let activeBase = big.segmentBaseOffsets.last!
        #expect(try storedRecords(big).filter { $0.offset < activeBase }
            == lastPerKey(appended.filter { $0.offset < activeBase }, keepTombstones: true))
        #expect(try storedRecords(small).filter { $0.offset < small.segmentBaseOffsets.last! }
            == lastPerKey(appended.filter { $0.offset < small.segmentBaseOffsets.last! }, keepTombstones: true))
    }

    @Test func nothingAtOrAboveTheHighWatermarkOrMinimumLagIsCleaned() throws {
        var config = compactedConfig()
        let (_, log) = try memoryLog(config: config)
        let appended = try fill(log, updates: 1_000, keys: 10, tombstoneEvery: 1_000_000)
        log.updateHighWatermark(300)
        let (assessment, _) = try cleanOnce(log, now: 10_000)
        #expect(assessment.firstUncleanableOffset <= 300)
        #expect(try storedRecords(log).filter { $0.offset >= assessment.firstUncleanableOffset }
            == appended.filter { $0.offset >= assessment.firstUncleanableOffset })
        // min.compaction.lag.ms: records newer than the lag stay.
        config.minCompactionLagMs = 1_000_000
        let (_, lagged) = try memoryLog(config: config, directory: "/c/t-0")
        let same = try fill(lagged, updates: 1_000, keys: 10, tombstoneEvery: 1_000_000)
        lagged.updateHighWatermark(lagged.logEndOffset)
        let (lagAssessment, _) = try cleanOnce(lagged, now: 10_000)
        #expect(lagAssessment.firstUncleanableOffset == 0)
        #expect(try storedRecords(lagged) == same)
    }

    @Test func recordsWithoutKeysAreDropped() throws {
        let (_, log) = try memoryLog(config: compactedConfig(segmentBytes: 200))
        try appendBatch(log, keyedBatch([(nil, "a"), ("k", "b")]))
        try appendBatch(log, keyedBatch([("k", "c")]))
        try log.roll(now: 0)
        try appendBatch(log, keyedBatch([("z", "z")]))
        log.updateHighWatermark(log.logEndOffset)
        _ = try cleanOnce(log, now: 10_000)
        #expect(try storedRecords(log) == [StoredRecord(offset: 2, key: "k", value: "c"), StoredRecord(offset: 3, key: "z", value: "z")])
    }

    @Test func cleanedLogReopensAfterCleanAndUncleanShutdown() throws {
        let (fs, log) = try memoryLog(config: compactedConfig())
        _ = try fill(log, updates: 1_000, keys: 30)
        log.updateHighWatermark(log.logEndOffset)
        _ = try cleanFully(log, now: 10_000)
        let before = try storedRecords(log)
        try log.flush(now: 0)
        try log.close(now: 0)
        for clean in [true, false] {
            let reopened = try reopen(fs, config: compactedConfig(), clean: clean)
            #expect(reopened.recovery?.segmentsDeleted ?? 0 == 0)
            reopened.updateHighWatermark(reopened.logEndOffset)
            #expect(try storedRecords(reopened) == before)
            #expect(reopened.logEndOffset == 1_000)
            try reopened.close(now: 0)
        }
    }
}
