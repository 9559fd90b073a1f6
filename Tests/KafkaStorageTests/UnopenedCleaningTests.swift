import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// The cleaner considers compacted logs that are not open (left dirty by a previous run), from their directory
/// listing, after the open ones; it opens only those that look dirty.
@Suite struct UnopenedCleaningTests {
    func configuration() -> LogManager.Configuration {
        var configuration = LogManager.Configuration(logDirs: ["/d"])
        configuration.defaultConfig = compactedConfig()
        configuration.defaultConfig.minCleanableDirtyRatio = 0.5
        return configuration
    }

    /// 400 updates of 10 keys, rolled, committed.
    func fill(_ handle: PartitionHandle, timestamp: Int64 = 1_000) throws {
        try handle.withLog { log in
            for i in 0..<400 { try appendBatch(log, keyedBatch([("k\(i % 10)", "v\(i)")], timestamp: timestamp)) }
            try log.roll(now: 0)
            log.updateHighWatermark(log.logEndOffset)
        }
    }

    @Test func aDirtyLogLeftByThePreviousRunIsOpenedAndCleaned() throws {
        let fs = FaultInjectingFileSystem()
        let manager = try LogManager(configuration: configuration(), fileSystem: fs, now: 0)
        let clean = TopicPartition("clean", 0)
        let dirty = TopicPartition("dirty", 0)
        try fill(try manager.createLog(clean, now: 0))
        var map = OffsetMap(memory: 1 << 16)
        #expect(try manager.cleanFilthiestLog(now: 10_000, map: &map)?.topicPartition == clean)
        try fill(try manager.createLog(dirty, now: 0))
        try manager.close(brokerEpoch: 1, now: 0)

        let restarted = try LogManager(configuration: configuration(), fileSystem: fs, now: 0)
        #expect(restarted.openPartitionCount == 0)
        let run = try #require(try restarted.cleanFilthiestLog(now: 10_000, map: &map))
        #expect(run.topicPartition == dirty)
        #expect(run.completed)
        #expect(run.stats.recordsRetained == 10)
        #expect(restarted.cleanerCheckpoint(dirty) == 400)
        // The clean log was judged from its listing and never opened.
        #expect(restarted.openPartitionCount == 1)
        #expect(try restarted.cleanFilthiestLog(now: 10_000, map: &map) == nil)
        #expect(restarted.openPartitionCount == 1)
        let records = try restarted.log(dirty, now: 0)!.withLog { try storedRecords($0) }
        #expect(records.map(\.value) == (390..<400).map { "v\($0)" })
    }

    /// The listing's modification times say old enough for `min.compaction.lag.ms`, the records' timestamps say
    /// not: the log is opened once, found not cleanable, and not opened for cleaning again while unchanged.
    @Test func anOverRatedLogIsNotReopenedUntilItChanges() throws {
        let fs = FaultInjectingFileSystem()
        var config = configuration()
        config.defaultConfig.minCompactionLagMs = 5_000
        let manager = try LogManager(configuration: config, fileSystem: fs, now: 0)
        let tp = TopicPartition("young", 0)
        try fill(try manager.createLog(tp, now: 0), timestamp: 9_000)
        try manager.close(brokerEpoch: 1, now: 0)

        let restarted = try LogManager(configuration: config, fileSystem: fs, now: 0)
        var map = OffsetMap(memory: 1 << 16)
        #expect(try restarted.cleanFilthiestLog(now: 10_000, map: &map) == nil)
        #expect(restarted.openPartitionCount == 1)
        #expect(try restarted.closeIdle(idleMs: 0, now: 10_000) == 1)
        #expect(try restarted.cleanFilthiestLog(now: 10_000, map: &map) == nil)
        #expect(restarted.openPartitionCount == 0)
        // Once old enough it is cleaned as soon as it is open again (the open log is assessed from its records).
        _ = try restarted.log(tp, now: 20_000)
        #expect(try restarted.cleanFilthiestLog(now: 20_000, map: &map)?.topicPartition == tp)
    }
}
