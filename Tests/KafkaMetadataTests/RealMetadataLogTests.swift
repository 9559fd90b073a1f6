import Foundation
import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

/// Kafka 3.7.1's own metadata log and bootstrap checkpoint: every record must decode, re-encode to the same bytes,
/// and replay into an image.
@Suite struct RealMetadataLogTests {
    /// The framed values of every data record of a log file, control batches skipped.
    static func metadataValues(_ path: String) throws -> [ByteBuffer] {
        let bytes = try #require(readFixture(path), "missing fixture \(path)")
        var iterator = RecordBatchIterator(bytes)
        var values: [ByteBuffer] = []
        while let batch = try iterator.next() {
            // Leader change, snapshot header/footer and similar KRaft control records are not metadata records.
            if batch.header.isControl { continue }
            try batch.forEachRecord { record in
                #expect(record.key == nil)
                if let value = record.value { values.append(value) }
            }
        }
        #expect(iterator.incompleteTail == nil)
        return values
    }

    static var logPaths: [String] {
        let dir = "\(capturesDirectory)/__cluster_metadata-0"
        return listDirectory(dir).filter { $0.hasSuffix(".log") }.map { "\(dir)/\($0)" }
    }

    static func roundTrip(_ values: [ByteBuffer]) throws -> [MetadataRecord] {
        var records: [MetadataRecord] = []
        for value in values {
            let record = try MetadataRecord.decode(value)
            let reencoded = try record.encoded()
            #expect(reencoded == value, "record type \(record.type) v\(record.version) re-encodes differently")
            records.append(record)
        }
        return records
    }

    @Test func bootstrapCheckpointRoundTripsAndHoldsMetadataVersion19() throws {
        let records = try Self.roundTrip(try Self.metadataValues("\(capturesDirectory)/bootstrap.checkpoint"))
        #expect(records == QuorumController.bootstrapRecords(metadataVersion: .v3_7_IV4))
        let image = try MetadataImage().replaying(records)
        #expect(image.metadataVersion == .v3_7_IV4)
    }

    @Test func metadataLogRoundTripsAndReplays() throws {
        #expect(!Self.logPaths.isEmpty)
        var records: [MetadataRecord] = []
        for path in Self.logPaths { records += try Self.roundTrip(try Self.metadataValues(path)) }
        #expect(records.count > 100)
        var typeCounts: [Int16: Int] = [:]
        for r in records { typeCounts[r.type, default: 0] += 1 }
        let image = try MetadataImage().replaying(records)
        #expect(image.metadataVersion == .v3_7_IV4)
        #expect(image.brokers.keys.sorted() == [1])
        let names = image.topicsByName.map(\.name)
        #expect(names.count == 83)
        print("Kafka 3.7.1 metadata log: \(records.count) records, \(names.count) topics: \(names)")
        // The capture was taken after a clean shutdown: the broker went through controlled shutdown, then was fenced.
        #expect(image.brokers[1]?.fenced == true)
        #expect(image.brokers[1]?.inControlledShutdown == true)
        // Kafka writes a new topic's ConfigRecords between its TopicRecord and its PartitionRecords, as we do.
        let offsetsIndex = try #require(records.firstIndex {
            if case .topic(let t, _) = $0 { return t.name == "__consumer_offsets" } else { return false }
        })
        #expect(records[offsetsIndex...].prefix(5).map(\.type) == [2, 4, 4, 4, 3])
        #expect(typeCounts[PartitionRecord.apiKey] == 249)
        #expect(typeCounts[RemoveTopicRecord.apiKey] == 15)
        #expect(image.topicsById.count == image.topicIdsByName.count)
        #expect(image.topic(named: "__consumer_offsets")?.partitions.count == 10)
        #expect(image.topic(named: "__transaction_state")?.partitions.count == 5)
        #expect(image.topicConfigs("__consumer_offsets") == [
            "cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "104857600",
        ])
        #expect(image.topicConfigs("__transaction_state")["min.insync.replicas"] == "1")
        #expect(image.nextProducerId == 1000)
        // Controlled shutdown of the only broker left every partition leaderless with its ISR intact.
        for topic in image.topicsById.values {
            for p in topic.partitions.values {
                #expect(p.leader == -1 && p.isr == [1] && p.replicas == [1])
                #expect(p.directories == image.brokers[1]!.logDirectories)
            }
        }
        #expect(names.contains("__consumer_offsets"))
        #expect(names.contains("__transaction_state"))
        #expect(names.contains("AAA-topic"))
        #expect(names.contains("BBB-topic"))
        #expect(names.contains("test-topic"))
        #expect(image.topic(named: "acc-grp-1795486444185-cadkbq")?.partitions.count == 6)
    }
}
