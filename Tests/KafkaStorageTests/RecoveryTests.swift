import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// Crashes at every kind of fault and checks the log reopens whole: every batch valid, offsets contiguous, nothing
/// that was fsynced missing, and writable again.
@Suite struct RecoveryTests {
    static let crashModes: [String] = ["lose", "tear", "prefix"]

    func mode(_ name: String, seed: UInt64) -> FaultInjectingFileSystem.CrashMode {
        switch name {
        case "tear": return .tearLastWrite(seed: seed)
        case "prefix": return .keepRandomPrefix(seed: seed)
        default: return .loseUnsynced
        }
    }

    /// Checks the reopened log against the batches originally appended (by offset).
    func verify(_ log: PartitionLog, durableEnd: Int64, original: [Int64: ByteBuffer]) throws {
        #expect(log.logEndOffset >= durableEnd)
        let all = try readAll(log)
        var next = log.logStartOffset
        for batch in all {
            #expect(batch.hasValidCRC)
            #expect(batch.header.baseOffset == next)
            if let bytes = original[batch.header.baseOffset] { #expect(batch.buffer == bytes) }
            next = batch.header.nextOffset
        }
        #expect(next == log.logEndOffset)
    }

    @Test(arguments: crashModes)
    func crashKeepsEverythingFsynced(modeName: String) throws {
        for seed in UInt64(1) ... 12 {
            var config = LogConfig()
            config.segmentBytes = 3_000
            let (fs, log) = try memoryLog(config: config)
            var original: [Int64: ByteBuffer] = [:]
            var durableEnd: Int64 = 0
            var random = SplitMix64(seed: seed)
            for i in 0 ..< 40 {
                var records = makeBatch(count: Int(random.next() % 3) + 1, valueSize: Int(random.next() % 400),
                                        producerId: 1, producerEpoch: 0, baseSequence: Int32(i * 10))
                let info = try log.append(&records, origin: .leader(epoch: 1), now: 0)
                original[info.firstOffset] = records
                if random.next() % 6 == 0 {
                    try log.flush(now: 0)
                    durableEnd = log.logEndOffset
                }
            }
            fs.crash(mode(modeName, seed: seed))
            let reopened = try reopen(fs, config: config, checkpoints: .init(recoveryPoint: durableEnd))
            try verify(reopened, durableEnd: durableEnd, original: original)
            original = original.filter { $0.key < reopened.logEndOffset }
            // Writable again, and reopens cleanly after that.
            let next = try appendBatch(reopened, makeBatch(count: 2))
            #expect(next.firstOffset == reopened.logEndOffset - 2)
            try reopened.close(now: 0)
            let again = try reopen(fs, config: config, clean: true)
            #expect(again.logEndOffset == reopened.logEndOffset)
            try verify(again, durableEnd: durableEnd, original: original)
        }
    }

    @Test func recoveryWithoutCheckpointScansEverything() throws {
        var config = LogConfig()
        config.segmentBytes = 2_000
        let (fs, log) = try memoryLog(config: config)
        for _ in 0 ..< 30 { try appendBatch(log, makeBatch(count: 2, valueSize: 200)) }
        try log.flush(now: 0)
        // Garbage after the last batch of the last segment and a bit flip in a middle segment.
        let last = log.segments.last!
        fs.corrupt(last.logPath, at: Int(last.size), with: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 200])
        let middle = log.segments[2]
        fs.corrupt(middle.logPath, at: 100, with: [0xFF])
        let reopened = try reopen(fs, config: config)
        #expect(reopened.logEndOffset < log.logEndOffset)
        #expect(reopened.logEndOffset >= middle.baseOffset)
        #expect(reopened.segmentBaseOffsets.last! == middle.baseOffset)
        try verify(reopened, durableEnd: middle.baseOffset, original: [:])
    }

    @Test func failedFsyncFailsTheLogAndReopenRecovers() throws {
        let (fs, log) = try memoryLog()
        for _ in 0 ..< 5 { try appendBatch(log, makeBatch(count: 2)) }
        try log.flush(now: 0)
        for _ in 0 ..< 5 { try appendBatch(log, makeBatch(count: 2)) }
        fs.failNextFsync()
        #expect(throws: StorageError.self) { try log.flush(now: 0) }
        #expect(log.hasFailed)
        #expect(throws: StorageError.self) { try appendBatch(log, makeBatch()) }
        fs.crash(.keepRandomPrefix(seed: 3))
        let reopened = try reopen(fs, checkpoints: .init(recoveryPoint: 10))
        #expect(reopened.logEndOffset >= 10)
        try verify(reopened, durableEnd: 10, original: [:])
    }

    @Test func diskFullRollsBackThePartialWrite() throws {
        let (fs, log) = try memoryLog()
        for _ in 0 ..< 3 { try appendBatch(log, makeBatch(count: 2, valueSize: 100)) }
        fs.diskFull(afterBytes: 150)
        #expect { try appendBatch(log, makeBatch(count: 2, valueSize: 100)) } throws: { ($0 as? StorageError)?.isNoSpace == true }
        #expect(!log.hasFailed && log.logEndOffset == 6)
        #expect(try readAll(log).count == 3)
        fs.diskFull(afterBytes: nil)
        #expect(try appendBatch(log, makeBatch()).firstOffset == 6)
        try log.flush(now: 0)
        fs.crash()
        let reopened = try reopen(fs, checkpoints: .init(recoveryPoint: 7))
        #expect(reopened.logEndOffset == 7)
        try verify(reopened, durableEnd: 7, original: [:])
    }

    @Test func diskFullWithoutRollbackLeavesRecoverableLog() throws {
        // The partial write is never fsynced; a crash right after the failed append must not expose it.
        let (fs, log) = try memoryLog()
        try appendBatch(log, makeBatch(count: 2, valueSize: 100))
        try log.flush(now: 0)
        fs.diskFull(afterBytes: 50)
        _ = try? appendBatch(log, makeBatch(count: 2, valueSize: 100))
        fs.crash(.keepRandomPrefix(seed: 9))
        fs.diskFull(afterBytes: nil)
        let reopened = try reopen(fs, checkpoints: .init(recoveryPoint: 2))
        #expect(reopened.logEndOffset == 2)
        try verify(reopened, durableEnd: 2, original: [:])
    }

    @Test func missingAndCorruptIndexesAreRebuilt() throws {
        var config = LogConfig()
        config.segmentBytes = 20_000
        let (fs, log) = try memoryLog(config: config)
        for i in 0 ..< 60 { try appendBatch(log, makeBatch(count: 1, timestamp: Int64(i * 100), valueSize: 1_000)) }
        try log.close(now: 0)
        #expect(log.segments.count >= 3)
        let first = log.segments[0]
        let second = log.segments[1]
        let originalIndex = fs.contents(of: first.indexPath)!
        let originalTimeIndex = fs.contents(of: second.timeIndexPath)!
        try fs.remove(first.indexPath)
        // Entries out of order: fails the sanity check.
        fs.corrupt(second.timeIndexPath, at: 0, with: [0x7F, 0, 0, 0, 0, 0, 0, 0])
        fs.corrupt(log.segments[2].indexPath, at: 0, with: [0x7F, 0xFF, 0xFF, 0xFF])
        let reopened = try reopen(fs, config: config, clean: true)
        for offset in Int64(0) ..< 60 {
            #expect(try batches(in: reopened.read(from: offset, maxBytes: 1).region).first?.header.baseOffset == offset)
        }
        #expect(try reopened.offset(for: .timestamp(2_050))?.offset == 21)
        // Rebuilt files match what was written originally.
        #expect(fs.contents(of: first.indexPath) == originalIndex)
        #expect(fs.contents(of: second.timeIndexPath) == originalTimeIndex)
    }

    @Test func activeSegmentIndexRebuiltAfterUncleanShutdown() throws {
        let (fs, log) = try memoryLog()
        for _ in 0 ..< 20 { try appendBatch(log, makeBatch(count: 1, valueSize: 1_000)) }
        try log.flush(now: 0)
        fs.crash()
        let reopened = try reopen(fs, checkpoints: .init(recoveryPoint: 0))
        #expect(reopened.logEndOffset == 20)
        #expect(reopened.segments[0].active!.offsetIndex.count == log.segments[0].active!.offsetIndex.count)
        #expect(try TimeIndex(baseOffset: 0, bytes: ByteBuffer(bytes: fs.contents(of: reopened.segments[0].timeIndexPath)!)).count > 0)
    }
}

/// What recovery reports (the broker logs it): segments checked, bytes cut, segments deleted.
@Suite struct RecoveryReportTests {
    @Test func cleanOpenHasNoReportAndUncleanOpenCountsWhatWasCut() throws {
        var config = LogConfig()
        config.segmentBytes = 2_000
        let (fs, log) = try memoryLog(config: config)
        for _ in 0 ..< 30 { try appendBatch(log, makeBatch(count: 2, valueSize: 200)) }
        try log.flush(now: 0)
        let clean = try reopen(fs, config: config, clean: true)
        #expect(clean.recovery == nil)

        let middle = log.segments[2]
        let cutFromMiddle = middle.size - 100
        let laterBytes = log.segments[3...].reduce(Int64(0)) { $0 + $1.size }
        let laterCount = log.segments.count - 3
        fs.corrupt(middle.logPath, at: 100, with: [0xFF])
        let reopened = try reopen(fs, config: config)
        let report = try #require(reopened.recovery)
        #expect(report.segmentsChecked == 3)
        #expect(report.segmentsDeleted == laterCount)
        // The batch holding byte 100 starts at or before it: at least the rest of the segment and all later ones.
        #expect(report.truncatedBytes >= cutFromMiddle + laterBytes)
        #expect(report.truncatedBytes <= middle.size + laterBytes)
        #expect(report.logEndOffset == reopened.logEndOffset)
    }
}
