import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct CheckpointTests {
    @Test func offsetCheckpointRoundTrip() throws {
        let offsets = [TopicPartition("a", 0): Int64(5), TopicPartition("b-c", 12): 1_000_000]
        let text = OffsetCheckpointFile.format(offsets)
        #expect(text == "0\n2\na 0 5\nb-c 12 1000000\n")
        #expect(try OffsetCheckpointFile.parse(text) == offsets)
        #expect(try OffsetCheckpointFile.parse("0\n0\n") == [:])
        #expect(throws: StorageError.self) { try OffsetCheckpointFile.parse("1\n0\n") }
        #expect(throws: StorageError.self) { try OffsetCheckpointFile.parse("0\n2\na 0 5\n") }
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        try OffsetCheckpointFile.write(offsets, to: "/d/x", fileSystem: fs)
        fs.crash()  // written via tmp + fsync + rename + directory fsync: durable
        #expect(try OffsetCheckpointFile.read("/d/x", fileSystem: fs) == offsets)
        #expect(try OffsetCheckpointFile.read("/d/missing", fileSystem: fs) == [:])
    }

    @Test func leaderEpochCache() throws {
        var cache = LeaderEpochCache()
        let changes = [cache.assign(epoch: 0, startOffset: 0), cache.assign(epoch: 0, startOffset: 10),
                       cache.assign(epoch: 2, startOffset: 10), cache.assign(epoch: 5, startOffset: 30)]
        #expect(changes == [true, false, true, true])
        #expect(cache.endOffset(for: 3, logEndOffset: 50)! == (2, 30))
        #expect(cache.endOffset(for: 9, logEndOffset: 50)! == (5, 50))
        #expect(cache.text == "0\n3\n0 0\n2 10\n5 30\n")
        #expect(try LeaderEpochCache(text: cache.text) == cache)
        cache.truncateFromEnd(30)
        #expect(cache.latestEpoch == 2)
        cache.truncateFromStart(15)
        #expect(cache.entries == [EpochEntry(epoch: 2, startOffset: 15)])
        // An epoch older than the whole history ends where the history starts (Kafka's endOffsetFor): a follower
        // that led epoch 0 here and fetches naming it is not sent to truncate into nothing.
        #expect(cache.endOffset(for: 1, logEndOffset: 50)! == (1, 15))
        #expect(LeaderEpochCache().endOffset(for: 1, logEndOffset: 0) == nil)
    }

    @Test func partitionMetadataAndMetaProperties() throws {
        let id = KafkaUUID(base64: "XG8wbrwdTRihyXl2JnrlWw")!
        let text = PartitionMetadataFile.format(topicId: id)
        #expect(text == "version: 0\ntopic_id: XG8wbrwdTRihyXl2JnrlWw\n")
        #expect(try PartitionMetadataFile.parse(text) == id)
        #expect(throws: StorageError.self) { try PartitionMetadataFile.parse("version: 1\ntopic_id: XG8wbrwdTRihyXl2JnrlWw\n") }
        let meta = MetaProperties(clusterId: "SSO-1xOGQDqK-rYq0H_EhQ", nodeId: 1,
                                  directoryId: KafkaUUID(base64: "_xL5s9aX4ESymSTJ6-_-uQ"))
        #expect(try MetaProperties(text: meta.text) == meta)
        #expect(CleanShutdownFile.parseBrokerEpoch(CleanShutdownFile.format(brokerEpoch: 42)) == 42)
        #expect(CleanShutdownFile.parseBrokerEpoch("{\"version\":0,\"brokerEpoch\":-1}") == -1)
        #expect(CleanShutdownFile.parseBrokerEpoch("") == -1)
    }
}
