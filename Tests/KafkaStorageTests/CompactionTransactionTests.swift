import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// Transactions and producer state across cleaning.
@Suite struct CompactionTransactionTests {
    @Test func abortedRecordsGoAndMarkersFollowKafkasRules() throws {
        let (_, log) = try memoryLog(config: compactedConfig(segmentBytes: 100_000))
        // Producer 1 aborts, producer 2 commits, plus plain records.
        try appendBatch(log, keyedBatch([("a", "aborted-1"), ("b", "aborted-2")], producerId: 1, producerEpoch: 0,
                                        baseSequence: 0, transactional: true))
        try appendBatch(log, keyedBatch([("a", "committed")], producerId: 2, producerEpoch: 0, baseSequence: 0,
                                        transactional: true))
        try appendBatch(log, makeMarker(commit: false, producerId: 1))
        try appendBatch(log, makeMarker(commit: true, producerId: 2))
        try appendBatch(log, keyedBatch([("c", "plain")]))
        // Producer 1 writes again, so its aborted batch is not its last one (which would stay, emptied).
        try appendBatch(log, keyedBatch([("d", "later")], producerId: 1, producerEpoch: 0, baseSequence: 2, transactional: true))
        try appendBatch(log, makeMarker(commit: true, producerId: 1))
        try log.roll(now: 0)
        try appendBatch(log, keyedBatch([("z", "active")]))
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == log.logEndOffset)

        _ = try cleanOnce(log, now: 10_000)
        let expected = ["2:a=committed", "5:c=plain", "6:d=later", "8:z=active"]
        #expect(try storedRecords(log).map(\.description) == expected)
        // The ABORT marker whose records this pass removed stays, with its .txnindex entry; the COMMITs stay too.
        var markers = try readAll(log).filter { $0.header.isControl }
        #expect(markers.map(\.header.baseOffset) == [3, 4, 7])
        #expect(log.segments[0].abortedTransactions.map(\.producerId) == [1])

        // Next pass: nothing of the aborted transaction is left, so its marker gets a delete horizon; the COMMIT
        // marker stays while its transaction's record does.
        _ = try cleanOnce(log, now: 10_000)
        markers = try readAll(log).filter { $0.header.isControl }
        #expect(markers.map(\.header.baseOffset) == [3, 4, 7])
        #expect(markers[0].header.deleteHorizon == 11_000)
        #expect(markers[1].header.hasDeleteHorizon == false)
        // After the horizon the ABORT marker goes.
        _ = try cleanOnce(log, now: 12_000)
        markers = try readAll(log).filter { $0.header.isControl }
        #expect(markers.map(\.header.baseOffset) == [4, 7])
        #expect(try storedRecords(log).map(\.description) == expected)
        #expect(log.segments[0].abortedTransactions.isEmpty)
    }

    @Test func nothingFromTheFirstOpenTransactionOnIsCleaned() throws {
        let (_, log) = try memoryLog(config: compactedConfig(segmentBytes: 100_000))
        try appendBatch(log, keyedBatch([("a", "1")]))
        try appendBatch(log, keyedBatch([("a", "open")], producerId: 9, producerEpoch: 0, baseSequence: 0, transactional: true))
        try appendBatch(log, keyedBatch([("a", "3")]))
        try log.roll(now: 0)
        try appendBatch(log, keyedBatch([("z", "active")]))
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 1)
        let (assessment, _) = try cleanOnce(log, now: 10_000)
        #expect(assessment.firstUncleanableOffset == 1)
        // Record 0 is superseded only by records past the LSO, which the map does not see: everything stays.
        #expect(try storedRecords(log).count == 4)
    }

    @Test func theProducersLastBatchStaysEmptySoItsSequenceSurvivesAReload() throws {
        let (fs, log) = try memoryLog(config: compactedConfig(segmentBytes: 100_000))
        try appendBatch(log, keyedBatch([("k", "x")], producerId: 5, producerEpoch: 2, baseSequence: 0))
        try appendBatch(log, keyedBatch([("k", "y"), ("k", "y2")], producerId: 5, producerEpoch: 2, baseSequence: 1))
        try appendBatch(log, keyedBatch([("k", "z")]))
        try log.roll(now: 0)
        try appendBatch(log, keyedBatch([("other", "active")]))
        log.updateHighWatermark(log.logEndOffset)
        _ = try cleanOnce(log, now: 10_000)
        let batches = try readAll(log)
        // Batch 0 is gone; batch 1-2 stays with no records, its offsets and sequence intact.
        #expect(batches.map(\.header.baseOffset) == [1, 3, 4])
        #expect(batches[0].header.recordsCount == 0)
        #expect(batches[0].header.lastOffset == 2)
        #expect(batches[0].header.baseSequence == 1)
        #expect(batches[0].hasValidCRC)
        // Rebuild producer state from the log alone (no snapshots).
        try log.close(now: 0)
        for name in try fs.listDirectory(log.directory) where name.hasSuffix(".snapshot") {
            try fs.remove(log.directory + "/" + name)
        }
        let reopened = try reopen(fs, config: compactedConfig(segmentBytes: 100_000), clean: false)
        let entry = reopened.producerEntry(5)
        #expect(entry?.producerEpoch == 2)
        #expect(entry?.lastSequence == 2)
        #expect(reopened.checkSequence(producerId: 5, producerEpoch: 2, firstSequence: 3, lastSequence: 3) == .accept)
    }
}

/// The cleaner as the log manager runs it: choosing logs, the dirty ratio, the checkpoint file.
@Suite struct LogManagerCleanerTests {
    @Test func cleansTheFilthiestLogAndCheckpointsIt() throws {
        let fs = FaultInjectingFileSystem()
        let configuration = LogManager.Configuration(logDirs: ["/d"])
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        var compacted = compactedConfig()
        compacted.minCleanableDirtyRatio = 0.5
        let tp = TopicPartition("c", 0)
        let plain = TopicPartition("p", 0)
        for (partition, config) in [(tp, compacted), (plain, LogConfig())] {
            let handle = try manager.createLog(partition, config: config, now: 0)
            try handle.withLog { log in
                for i in 0..<400 { try appendBatch(log, keyedBatch([("k\(i % 10)", "v\(i)")])) }
                try log.roll(now: 0)
                log.updateHighWatermark(log.logEndOffset)
            }
        }
        var map = OffsetMap(memory: 1 << 16)
        let run = try #require(try manager.cleanFilthiestLog(now: 10_000, map: &map))
        #expect(run.topicPartition == tp)
        #expect(run.completed)
        #expect(run.endOffset == 400)
        #expect(run.stats.recordsRetained == 10)
        #expect(manager.cleanerCheckpoint(tp) == 400)
        #expect(try OffsetCheckpointFile.read("/d/cleaner-offset-checkpoint", fileSystem: fs) == [tp: 400])
        // Nothing dirty any more, and the delete-policy log is never a candidate.
        #expect(try manager.cleanFilthiestLog(now: 10_000, map: &map) == nil)
        // A little more dirt stays under the ratio.
        try manager.log(tp, now: 0)!.withLog { log in
            try appendBatch(log, keyedBatch([("k1", "new")]))
            try log.roll(now: 0)
            log.updateHighWatermark(log.logEndOffset)
        }
        #expect(try manager.cleanFilthiestLog(now: 10_000, map: &map) == nil)
        // The checkpoint is read back after a restart.
        try manager.close(brokerEpoch: 1, now: 0)
        let restarted = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        #expect(restarted.cleanerCheckpoint(tp) == 400)
    }
}
