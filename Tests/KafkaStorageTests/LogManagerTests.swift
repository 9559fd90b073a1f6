import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct LogManagerTests {
    @Test func lazyOpenBoundedDescriptorsAndCleanShutdown() throws {
        let fs = FaultInjectingFileSystem()
        var configuration = LogManager.Configuration(logDirs: ["/d1", "/d2"])
        configuration.maxOpenFiles = 4
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        for p in 0 ..< 20 {
            let handle = try manager.createLog(TopicPartition("t", Int32(p)), now: 0)
            try handle.withLog { log in
                log.updateHighWatermark(0)
                try appendBatch(log, makeBatch(count: 3))
                log.updateHighWatermark(log.logEndOffset)
            }
        }
        #expect(manager.cache.openFileCount <= 4)
        #expect(try fs.listDirectory("/d1").count == 10 && fs.listDirectory("/d2").count == 10)
        #expect(try manager.closeIdle(idleMs: 0, now: 10) == 20)
        #expect(manager.openPartitionCount == 0)
        // Reopened on use, without recovery.
        let read = try manager.log(TopicPartition("t", 3), now: 20)!.withLog { try readAll($0).count }
        #expect(read == 1)
        try manager.close(brokerEpoch: 5, now: 30)
        #expect(try OffsetCheckpointFile.read("/d1/replication-offset-checkpoint", fileSystem: fs).values.allSatisfy { $0 == 3 })

        let restarted = try LogManager(configuration: configuration, fileSystem: fs, now: 40)
        #expect(restarted.cleanShutdown == [true, true])
        #expect(!fs.exists("/d1/.kafka_cleanshutdown"))
        #expect(restarted.partitions.count == 20)
        #expect(restarted.openPartitionCount == 0)
        try restarted.log(TopicPartition("t", 7), now: 40)!.withLog { log in
            #expect(log.logEndOffset == 3 && log.highWatermark == 3 && log.recoveryPoint == 3)
        }
        try restarted.deleteLog(TopicPartition("t", 7))
        #expect(restarted.partitions.count == 19)
    }

    @Test func tickRunsRetentionAndCheckpoints() throws {
        let fs = FaultInjectingFileSystem()
        var configuration = LogManager.Configuration(logDirs: ["/d"])
        configuration.defaultConfig.segmentBytes = 500
        configuration.defaultConfig.retentionMs = 1_000
        configuration.retentionCheckIntervalMs = 100
        configuration.checkpointIntervalMs = 100
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        let handle = try manager.createLog(TopicPartition("r", 0), topicId: KafkaUUID(base64: "XG8wbrwdTRihyXl2JnrlWw"), now: 0)
        try handle.withLog { log in
            for i in 0 ..< 10 { try appendBatch(log, makeBatch(count: 1, timestamp: Int64(i), valueSize: 200)) }
            log.updateHighWatermark(log.logEndOffset)
        }
        #expect(try fs.readText("/d/r-0/partition.metadata").contains("XG8wbrwdTRihyXl2JnrlWw"))
        #expect(manager.tick(now: 50_000).isEmpty)
        try handle.withLog { log in
            #expect(log.segmentBaseOffsets.count == 1 && log.logStartOffset == 9)
        }
        #expect(try OffsetCheckpointFile.read("/d/log-start-offset-checkpoint", fileSystem: fs)[TopicPartition("r", 0)] == 9)
    }

    @Test func crashWithoutMarkerRecovers() throws {
        let fs = FaultInjectingFileSystem()
        let configuration = LogManager.Configuration(logDirs: ["/d"])
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        try manager.createLog(TopicPartition("c", 0), now: 0).withLog { log in
            for _ in 0 ..< 4 { try appendBatch(log, makeBatch()) }
            try log.flush(now: 0)
            for _ in 0 ..< 4 { try appendBatch(log, makeBatch()) }
        }
        try manager.writeCheckpoints()
        fs.crash()
        let restarted = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        #expect(restarted.cleanShutdown == [false])
        try restarted.log(TopicPartition("c", 0), now: 0)!.withLog { log in
            #expect(log.logEndOffset == 4)
        }
    }
}
