import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

/// The cleaner on a replicated partition: nothing above the high watermark takes part in cleaning (it may still be
/// truncated on failover), and a follower that truncates into a region it cleaned stays consistent.
@Suite struct CompactionReplicationTests {
    /// `batches` batches of 5 records over keys k0…k9, value "v<offset>", appended as leader in `epoch`.
    func fill(_ log: PartitionLog, batches: Int, epoch: Int32 = 0, producerId: Int64 = -1,
              firstSequence: Int32 = 0) throws -> [StoredRecord] {
        var appended: [StoredRecord] = []
        for b in 0..<batches {
            let base = log.logEndOffset
            let records = (0..<5).map { i -> (String?, String?) in ("k\((Int(base) + i) % 10)", "v\(base + Int64(i))") }
            try appendBatch(log, keyedBatch(records, producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1,
                                            baseSequence: producerId >= 0 ? firstSequence + Int32(b * 5) : -1),
                            epoch: epoch)
            appended += records.enumerated().map { StoredRecord(offset: base + Int64($0.offset), key: $0.element.0, value: $0.element.1) }
        }
        return appended
    }

    /// A leader whose followers lag: rolled segments hold records above the high watermark that overwrite every
    /// key. Cleaning must not let them shadow the older values below the high watermark — if it did, truncating
    /// to the high watermark (the failover that follows) would lose acknowledged, committed records.
    @Test func recordsAboveTheHighWatermarkNeverShadowOlderValues() throws {
        let (_, log) = try memoryLog(config: compactedConfig())
        let appended = try fill(log, batches: 60)
        // 300 records in segments of ~2 kB: rolled segments above the high watermark.
        let highWatermark: Int64 = 100
        log.updateHighWatermark(highWatermark)
        #expect(log.segmentBaseOffsets.filter { $0 > highWatermark }.count >= 2)
        let (assessment, _) = try cleanOnce(log, now: 10_000)
        #expect(assessment.firstUncleanableOffset <= highWatermark)
        _ = try cleanFully(log, now: 10_000)
        let after = try storedRecords(log)
        #expect(after.filter { $0.offset < highWatermark }
            == lastPerKey(appended.filter { $0.offset < highWatermark }, keepTombstones: true))
        #expect(after.filter { $0.offset >= highWatermark } == appended.filter { $0.offset >= highWatermark })
        // Failover: a new leader without the records above the high watermark; this replica truncates to it.
        try log.truncate(to: highWatermark, now: 20_000)
        var last: [String: String] = [:]
        for record in try storedRecords(log) { last[record.key!] = record.value }
        for record in lastPerKey(appended.filter { $0.offset < highWatermark }, keepTombstones: true) {
            #expect(last[record.key!] == record.value, "the committed value of \(record.key!) was lost")
        }
    }

    /// A follower with a lower high watermark than its leader cleans only below its own.
    @Test func aFollowerCleansBelowItsOwnHighWatermark() throws {
        let (_, follower) = try memoryLog(config: compactedConfig())
        let (_, leader) = try memoryLog(config: compactedConfig(), directory: "/leader/t-0")
        let appended = try fill(leader, batches: 60)
        for batch in try readAll(leader) {
            var bytes = batch.buffer
            _ = try follower.append(&bytes, origin: .replication, now: 0)
        }
        follower.updateHighWatermark(150)
        _ = try cleanFully(follower, now: 10_000)
        let after = try storedRecords(follower)
        #expect(after.filter { $0.offset < 150 } == lastPerKey(appended.filter { $0.offset < 150 }, keepTombstones: true))
        #expect(after.filter { $0.offset >= 150 } == appended.filter { $0.offset >= 150 })
    }

    /// A follower truncating into the part it cleaned (only an unclean election asks for that; offsets are never
    /// rewritten, so the truncation itself is valid): the log ends at a batch boundary at or below the target, the
    /// leader-epoch history and the producer state agree with what is left (as a reload from the log finds them),
    /// and replication from the leader continues at the new log end.
    @Test func truncationIntoACleanedRegionKeepsEpochsAndProducerState() throws {
        let (_, leader) = try memoryLog(config: compactedConfig(), directory: "/leader/t-0")
        let producer: Int64 = 42
        var appended = try fill(leader, batches: 20, epoch: 1, producerId: producer)
        appended += try fill(leader, batches: 20, epoch: 2, producerId: producer, firstSequence: 100)
        appended += try fill(leader, batches: 20, epoch: 3)
        let (_, follower) = try memoryLog(config: compactedConfig())
        for batch in try readAll(leader) {
            var bytes = batch.buffer
            _ = try follower.append(&bytes, origin: .replication, now: 0)
        }
        follower.updateHighWatermark(follower.logEndOffset)
        _ = try cleanFully(follower, now: 10_000)
        // Offset 152 is in epoch 2's batches, which the cleaning removed (later ones overwrite each key).
        let target: Int64 = 152
        let kept = try readAll(follower).filter { $0.header.lastOffset < target }
        #expect(kept.count < 30, "the cleaning should have removed batches below \(target)")
        try follower.truncate(to: target, now: 20_000)
        let end = follower.logEndOffset
        // At most the target; at least past the last batch kept below it (a group emptied by the cleaning is
        // an empty segment at its base offset, so the log may end there).
        #expect(end <= target && end >= (kept.last?.header.nextOffset ?? 0))
        #expect(try storedRecords(follower) == kept.flatMap { batch -> [StoredRecord] in
            var iterator = try! batch.records()
            var out: [StoredRecord] = []
            while let r = try! iterator.next() {
                out.append(StoredRecord(offset: r.offset, key: r.key.map { String(buffer: $0) }, value: r.value.map { String(buffer: $0) }))
            }
            return out
        })
        #expect(follower.leaderEpochs.entries == leader.leaderEpochs.entries.filter { $0.startOffset < end })
        // The producer state (the newest snapshot at or below the new end, then the batches left) knows nothing
        // of the batches cut off.
        #expect(follower.producerState.entry(producer).map { $0.batches.allSatisfy { $0.lastOffset < end } } ?? true)
        // Replication resumes from the new log end with the leader's (uncleaned) batches.
        for batch in try readAll(leader) where batch.header.baseOffset >= end {
            var bytes = batch.buffer
            _ = try follower.append(&bytes, origin: .replication, now: 20_000)
        }
        #expect(follower.logEndOffset == leader.logEndOffset)
        #expect(follower.producerState.entry(producer)?.lastSequence == leader.producerState.entry(producer)?.lastSequence)
        #expect(follower.leaderEpochs.entries == leader.leaderEpochs.entries)
    }
}
