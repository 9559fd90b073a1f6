import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing
@testable import tributary

/// `tributary dump-log` on segments the cleaner rewrote: Kafka's file names and index formats, offsets with gaps.
@Suite struct DumpCleanedLogTests {
    @Test func cleanedSegmentsAndTheirIndexesDump() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dump-cleaned-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = PosixFileSystem()
        try fs.createDirectory(root)
        var config = LogConfig()
        config.compact = true
        config.segmentBytes = 20_000
        config.indexIntervalBytes = 512
        let log = try PartitionLog.open(directory: root + "/c-0", topicPartition: TopicPartition("c", 0), config: config,
                                        cache: FileHandleCache(fileSystem: fs), cleanShutdown: false, now: 0)
        for i in 0..<2_000 {
            var builder = RecordBatchBuilder(compression: i % 2 == 0 ? .lz4 : .none)
            for j in 0..<3 {
                try builder.append(timestamp: Int64(1_000 + i), key: ByteBuffer(string: "k\((i * 3 + j) % 40)"),
                                   value: j == 2 && i % 5 == 0 ? nil : ByteBuffer(string: "value-\(i)-\(j)"))
            }
            var bytes = try builder.build()
            try log.append(&bytes, origin: .leader(epoch: 0), now: 0)
        }
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        let snapshot = try log.cleaningSnapshot()
        let assessment = CleanerPlanner.assess(snapshot.plannerState(checkpoint: nil, pendingDeleteHorizon: nil), config: config, now: 5_000)
        var map = OffsetMap(memory: 1 << 20)
        let result = try LogCleaning(snapshot: snapshot, fileSystem: fs, now: 5_000).run(assessment, map: &map) {
            try log.replaceSegments(with: $0)
        }
        #expect(result.stats.segmentsSwapped > 1)
        try log.close(now: 0)
        let names = try fs.listDirectory(root + "/c-0").sorted()
        #expect(!names.contains { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") })
        let logs = names.filter { $0.hasSuffix(".log") }.map { root + "/c-0/" + $0 }
        let indexes = names.filter { $0.hasSuffix(".index") || $0.hasSuffix(".timeindex") }.map { root + "/c-0/" + $0 }
        #expect(logs.count == log.segmentBaseOffsets.count)

        var options = DumpLogOptions()
        options.printDataLog = true
        let dumped = DumpLog.lines(logs, options: options)
        #expect(dumped.ok)
        let batchLines = dumped.out.filter { $0.hasPrefix("baseOffset: ") }
        #expect(!batchLines.isEmpty && batchLines.allSatisfy { $0.hasSuffix("isvalid: true") })
        // The records: 40 keys' last values and (within the horizon) tombstones, plus nothing else below the active segment.
        let recordLines = dumped.out.filter { $0.hasPrefix("| offset: ") }
        #expect(recordLines.count <= 40)
        var verify = DumpLogOptions()
        verify.verifyIndexOnly = true
        let checked = DumpLog.lines(indexes, options: verify)
        #expect(checked.ok, "\(checked.err.prefix(3))")
        #expect(!checked.out.contains { $0.lowercased().contains("mismatch") }, "\(checked.out.filter { $0.lowercased().contains("mismatch") }.prefix(3))")
        var sanity = DumpLogOptions()
        sanity.indexSanityCheck = true
        let sane = DumpLog.lines(indexes, options: sanity)
        #expect(sane.ok && !sane.out.contains { $0.contains("failed") }, "\(sane.out.suffix(3))")
    }
}
