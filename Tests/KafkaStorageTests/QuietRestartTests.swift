import KafkaProtocol
@testable import KafkaStorage
import NIOCore
import Testing

/// A clean restart of an idle partition writes nothing (issue 14 item 5): the leader epoch a new leader starts at
/// the log end waits for the first append, and closing a log untouched since its clean open fsyncs nothing. Each
/// test also checks that what a restart or a crash then finds is what the eager writes would have left.
@Suite struct QuietRestartTests {
    /// A log with records in epoch 1 and a producer, closed cleanly.
    private func closedLog() throws -> FaultInjectingFileSystem {
        let (fs, log) = try memoryLog()
        for i in 0 ..< 3 {
            try appendBatch(log, makeBatch(count: 2, producerId: 7, producerEpoch: 0, baseSequence: Int32(i * 2)), epoch: 1)
        }
        try log.close(now: 0)
        return fs
    }

    @Test func anIdleRestartAsLeaderWritesAndSyncsNothing() throws {
        let fs = try closedLog()
        let before = fs.fsyncCount
        let log = try reopen(fs, clean: true)
        try log.assignEpochStartOffset(2)
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 2, startOffset: 6)])
        try log.close(now: 0)
        #expect(fs.fsyncCount == before, "open, a new epoch at the end and close of an idle log fsynced")
        // The next open finds the log as the first close left it; the unwritten epoch named no record.
        let again = try reopen(fs, clean: true)
        #expect(again.logEndOffset == 6)
        #expect(again.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0)])
        #expect(again.producerEntry(7)?.lastSequence == 5)
        #expect(try readAll(again).count == 3)
    }

    @Test func theFirstAppendWritesTheDeferredEpochBeforeItsRecords() throws {
        let fs = try closedLog()
        let log = try reopen(fs, clean: true)
        try log.assignEpochStartOffset(2)
        try appendBatch(log, makeBatch(count: 2), epoch: 2)
        // The epoch file is written before the records: a process crash (the page cache survives) that keeps
        // the records keeps their epoch.
        let recovered = try reopen(fs, clean: false)
        #expect(recovered.logEndOffset == 8)
        #expect(recovered.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 2, startOffset: 6)])
    }

    @Test func aCrashBeforeTheFirstAppendReopensWithoutTheEpoch() throws {
        let fs = try closedLog()
        let log = try reopen(fs, clean: true)
        try log.assignEpochStartOffset(2)
        fs.crash(.loseUnsynced)
        let recovered = try reopen(fs, clean: false)
        #expect(recovered.logEndOffset == 6)
        #expect(recovered.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0)])
    }

    @Test func aLogWrittenAfterItsCleanOpenIsClosedInFull() throws {
        let fs = try closedLog()
        let log = try reopen(fs, clean: true)
        try appendBatch(log, makeBatch(count: 1), epoch: 1)
        let before = fs.fsyncCount
        try log.close(now: 0)
        #expect(fs.fsyncCount > before, "the close of a written log synced nothing")
        // Everything the close wrote survives losing what was not synced.
        fs.crash(.loseUnsynced)
        let again = try reopen(fs, clean: true)
        #expect(again.logEndOffset == 7)
        #expect(try readAll(again).count == 4)
    }

    @Test func anEpochTheLoadDroppedIsWrittenBeforeTheNextRecords() throws {
        let fs = try closedLog()
        // As a node that became leader of epoch 3 at offset 6 and stopped before appending would leave it when
        // epoch starts were written eagerly.
        try fs.writeAtomically("/data/t-0/" + LeaderEpochCache.fileName,
                               text: LeaderEpochCache(entries: [EpochEntry(epoch: 1, startOffset: 0),
                                                                EpochEntry(epoch: 3, startOffset: 6)]).text)
        let log = try reopen(fs, clean: true)
        #expect(log.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0)])
        // A follower then appends the leader's records of epoch 1 at 6: the dropped (3, 6) must not come back.
        var records = makeBatch(count: 2)
        try RecordBatchHeader.setBaseOffset(6, in: &records, batchAt: records.readerIndex)
        try RecordBatchHeader.setPartitionLeaderEpoch(1, in: &records, batchAt: records.readerIndex)
        try log.append(&records, origin: .replication, now: 0)
        // A process crash: the records are in the page cache, and so is the file the append rewrote first.
        let recovered = try reopen(fs, clean: false)
        #expect(recovered.logEndOffset == 8)
        #expect(recovered.leaderEpochs.entries == [EpochEntry(epoch: 1, startOffset: 0)])
    }
}
