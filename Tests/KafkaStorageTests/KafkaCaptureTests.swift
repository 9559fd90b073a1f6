import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// Reads the log directory a real Kafka 3.7.1 broker wrote (`shared/kafka-captures/log-segments`), copied to a
/// scratch file system first.
@Suite struct KafkaCaptureTests {
    let source = kafkaCaptureDirectory()

    func copy() throws -> FaultInjectingFileSystem {
        let fs = FaultInjectingFileSystem()
        try copyTree(from: source, on: PosixFileSystem(), to: "/kafka", on: fs)
        try fs.syncDirectory("/kafka")
        return fs
    }

    @Test func readsDirectoryFiles() throws {
        let posix = PosixFileSystem()
        let meta = try #require(try MetaProperties.read(directory: source, fileSystem: posix))
        #expect(meta.version == 1 && meta.nodeId == 1 && meta.clusterId == "SSO-1xOGQDqK-rYq0H_EhQ")
        #expect(meta.directoryId?.base64 == "_xL5s9aX4ESymSTJ6-_-uQ")
        let recovery = try OffsetCheckpointFile.read(source + "/" + OffsetCheckpointFile.recoveryPoint, fileSystem: posix)
        #expect(recovery.count == 188 && recovery[TopicPartition("__consumer_offsets", 4)] == 1013)
        let replication = try OffsetCheckpointFile.read(source + "/" + OffsetCheckpointFile.replicationOffset, fileSystem: posix)
        #expect(replication[TopicPartition("AAA-topic", 0)] == 2)
        #expect(try OffsetCheckpointFile.read(source + "/" + OffsetCheckpointFile.logStartOffset, fileSystem: posix).isEmpty)
        #expect(try OffsetCheckpointFile.read(source + "/" + OffsetCheckpointFile.cleanerOffset, fileSystem: posix).isEmpty)
        let id = try PartitionMetadataFile.parse(try posix.readText(source + "/AAA-topic-0/partition.metadata"))
        #expect(id.base64 == "XG8wbrwdTRihyXl2JnrlWw")
        let epochs = try LeaderEpochCache(text: try posix.readText(source + "/AAA-topic-0/leader-epoch-checkpoint"))
        #expect(epochs.entries == [EpochEntry(epoch: 0, startOffset: 0)])
    }

    @Test func everyPartitionOpensWithEveryBatchValid() throws {
        let fs = try copy()
        let manager = try LogManager(configuration: .init(logDirs: ["/kafka"]), fileSystem: fs, now: 0)
        #expect(manager.metaProperties[0]?.nodeId == 1)
        #expect(!manager.cleanShutdown[0])
        let posix = PosixFileSystem()
        let replication = try OffsetCheckpointFile.read(source + "/" + OffsetCheckpointFile.replicationOffset, fileSystem: posix)
        #expect(manager.partitions.count == 13)
        for tp in manager.partitions {
            let originalSize = try posix.fileSize(source + "/" + tp.directoryName + "/00000000000000000000.log")
            try #require(try manager.log(tp, now: 0)).withLog { log in
                // Recovery kept every byte.
                #expect(log.segments[0].size == originalSize, "\(tp)")
                let all = try readAll(log)
                #expect(!all.isEmpty, "\(tp)")
                #expect(all.allSatisfy { $0.hasValidCRC }, "\(tp)")
                #expect(log.logEndOffset == all.last!.header.lastOffset + 1, "\(tp)")
                if let hw = replication[tp] { #expect(log.highWatermark == hw, "\(tp)") }
                #expect(log.topicId != nil)
                // Records decode (all four codecs are represented).
                for batch in all { try batch.forEachRecord { _ in } }
            }
        }
        // The aborted transaction Kafka indexed is found again.
        let txa = TopicPartition("acc-txa-1795486449707-zcltgt", 0)
        try manager.log(txa, now: 0)!.withLog { log in
            #expect(log.collectAbortedTransactions(from: 0, upTo: log.logEndOffset)
                    == [AbortedTransaction(producerId: 1, firstOffset: 5, lastOffset: 9, lastStableOffset: 10)])
        }
        // Indexes Kafka wrote are accepted as they are (rebuilding would give the same lookups).
        let (first, max) = try manager.log(TopicPartition("__consumer_offsets", 4), now: 0)!.withLog { log in
            (try batches(in: log.read(from: 500, maxBytes: 1).region).first?.header, try log.offset(for: .maxTimestamp))
        }
        #expect(first.map { $0.baseOffset <= 500 && $0.lastOffset >= 500 } == true)
        #expect(max != nil)
        try manager.close(brokerEpoch: 7, now: 0)
        #expect(try fs.readText("/kafka/.kafka_cleanshutdown") == "{\"version\":0,\"brokerEpoch\":7}")
    }
}
