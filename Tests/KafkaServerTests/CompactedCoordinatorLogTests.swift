import KafkaCoordinator
import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing

/// `__consumer_offsets` under the log cleaner: offsets the coordinator expires become tombstones, the cleaner
/// removes what they delete and then the tombstones themselves, and a coordinator loading the compacted log ends
/// in the state it had loading the full one. Seeded; the seed is in the test name.
@Suite struct CompactedCoordinatorLogTests {
    func records(of log: PartitionLog) throws -> [(key: ByteBuffer, value: ByteBuffer?)] {
        var out: [(ByteBuffer, ByteBuffer?)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let read = try log.read(from: offset, maxBytes: 1 << 20)
            guard let region = read.region else { break }
            let batches = try RecordBatchIterator.split(try region.bytes()).batches
            guard let last = batches.last else { break }
            for batch in batches where batch.header.lastOffset >= offset && !batch.header.isControl {
                var iterator = try batch.records()
                while let record = try iterator.next() {
                    if record.offset >= offset, let key = record.key { out.append((key, record.value)) }
                }
            }
            offset = last.header.nextOffset
        }
        return out
    }

    func load(_ log: PartitionLog, config: GroupCoordinatorConfig) throws -> GroupCoordinatorShard {
        var shard = GroupCoordinatorShard(config: config, memberIds: MemberIdGenerator(seed: 1))
        for (key, value) in try records(of: log) { shard.replay(try CoordinatorRecord(key: key, value: value)) }
        return shard
    }

    func clean(_ log: PartitionLog, now: Int64, checkpoint: Int64?, fs: any FileSystem) throws -> LogCleaning.Result {
        let snapshot = try log.cleaningSnapshot()
        let assessment = CleanerPlanner.assess(snapshot.plannerState(checkpoint: checkpoint, pendingDeleteHorizon: nil),
                                               config: log.config, now: now)
        var map = OffsetMap(memory: 1 << 20)
        return try LogCleaning(snapshot: snapshot, fileSystem: fs, now: now).run(assessment, map: &map) {
            try log.replaceSegments(with: $0)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func offsetsCoordinatorLoadsTheSameStateFromTheCompactedLog(seed: UInt64) throws {
        var coordinatorConfig = GroupCoordinatorConfig()
        coordinatorConfig.offsetsRetentionMs = 300_000
        var logConfig = LogConfig()
        logConfig.compact = true
        logConfig.delete = false
        logConfig.segmentBytes = 4_000
        logConfig.deleteRetentionMs = 1_000
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/data")
        let log = try PartitionLog.open(directory: "/data/__consumer_offsets-0", topicPartition: TopicPartition("__consumer_offsets", 0),
                                        config: logConfig, cache: FileHandleCache(fileSystem: fs), cleanShutdown: false, now: 0)
        var live = GroupCoordinatorShard(config: coordinatorConfig, memberIds: MemberIdGenerator(seed: seed))
        func write(_ batch: [CoordinatorRecord]) throws {
            guard !batch.isEmpty else { return }
            var builder = RecordBatchBuilder()
            for record in batch {
                try builder.append(timestamp: 0, key: try record.encodeKey(), value: try record.encodeValue())
                live.replay(record)
            }
            var bytes = try builder.build()
            try log.append(&bytes, origin: .leader(epoch: 0), now: 0)
        }
        var rng = SplitMix64(seed: seed)
        var pending: [CoordinatorRecord] = []
        for step in 0..<800 {
            var value = OffsetCommitValue()
            value.offset = Int64(step)
            value.commitTimestamp = Int64(step) * 1_000
            pending.append(.offsetCommit(group: "g\(rng.next() % 15)", topic: "t\(rng.next() % 3)",
                                         partition: Int32(rng.next() % 4), value: value))
            if pending.count == 8 {
                try write(pending)
                pending = []
            }
            if step == 600 {
                // The expiration sweep at t=600 s: commits older than 300 s get tombstones (and emptied groups).
                _ = live.onLoaded(now: 0)
                let sweep = live.handle(.timerFired(.offsetExpiration), now: 600_000)
                #expect(sweep.records.contains { $0.isTombstone })
                try write(sweep.records)
            }
        }
        try write(pending)
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        let full = try load(log, config: coordinatorConfig)
        #expect(full.offsets == live.offsets)
        let sizeBefore = log.sizeInBytes
        let fullRecords = try records(of: log).count

        // First cleaning: superseded commits and what the tombstones delete go; the tombstones stay (horizon).
        let first = try clean(log, now: 1_000_000, checkpoint: nil, fs: fs)
        #expect(try load(log, config: coordinatorConfig).offsets == full.offsets)
        #expect(try records(of: log).contains { $0.value == nil })
        // After delete.retention.ms the tombstones go too; the state is still the same.
        _ = try clean(log, now: 1_002_000, checkpoint: first.endOffset, fs: fs)
        let compacted = try records(of: log)
        #expect(!compacted.contains { $0.value == nil })
        #expect(compacted.count < fullRecords)
        #expect(log.sizeInBytes < sizeBefore)
        let reloaded = try load(log, config: coordinatorConfig)
        #expect(reloaded.offsets == full.offsets)
        #expect(Set(reloaded.groups.keys) == Set(full.groups.keys))
        // One record per live offset.
        #expect(compacted.count == full.offsets.values.reduce(0) { $0 + $1.count })
    }

    @Test(arguments: [UInt64(4), 5])
    func transactionCoordinatorLoadsTheSameStateFromTheCompactedLog(seed: UInt64) throws {
        var logConfig = LogConfig()
        logConfig.compact = true
        logConfig.delete = false
        logConfig.segmentBytes = 4_000
        logConfig.deleteRetentionMs = 1_000
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/data")
        let log = try PartitionLog.open(directory: "/data/__transaction_state-0", topicPartition: TopicPartition("__transaction_state", 0),
                                        config: logConfig, cache: FileHandleCache(fileSystem: fs), cleanShutdown: false, now: 0)
        var rng = SplitMix64(seed: seed)
        // Each transactional id goes round Empty -> Ongoing -> Prepare -> Complete, bumping its epoch; some expire
        // (a tombstone, as the coordinator's expiration timer writes) and some come back.
        var epochs: [String: Int16] = [:]
        var written = 0
        for step in 0..<1_500 {
            let id = "txn-\(rng.next() % 25)"
            var value = TransactionLogValue()
            value.producerId = Int64(1_000 + (Int(id.dropFirst(4)) ?? 0))
            value.producerEpoch = epochs[id, default: 0]
            value.transactionTimeoutMs = 60_000
            value.transactionLastUpdateTimestampMs = Int64(step)
            let phase = step % 4
            value.transactionStatus = [0, 1, 2, 4][phase]
            if phase == 1 || phase == 2 {
                var partitions = TransactionLogValue.PartitionsSchema()
                partitions.topic = "orders"
                partitions.partitionIds = [Int32(rng.next() % 8)]
                value.transactionPartitions = [partitions]
            }
            if phase == 3 { epochs[id, default: 0] += 1 }
            let record = rng.next() % 40 == 0 ? TransactionLogRecord.tombstone(id) : TransactionLogRecord(transactionalId: id, value: value)
            var builder = RecordBatchBuilder()
            try builder.append(timestamp: 0, key: try record.encodeKey(), value: try record.encodeValue())
            var bytes = try builder.build()
            try log.append(&bytes, origin: .leader(epoch: 0), now: 0)
            written += 1
        }
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        func load() throws -> [String: TransactionMetadata] {
            var shard = TransactionCoordinatorShard(coordinatorEpoch: 0)
            for (key, value) in try records(of: log) { shard.replay(try TransactionLogRecord(key: key, value: value)) }
            return shard.transactions
        }
        let full = try load()
        let first = try clean(log, now: 1_000_000, checkpoint: nil, fs: fs)
        #expect(try load() == full)
        _ = try clean(log, now: 1_002_000, checkpoint: first.endOffset, fs: fs)
        let compacted = try records(of: log)
        #expect(!compacted.contains { $0.value == nil })
        #expect(compacted.count == full.count)
        #expect(compacted.count < written)
        #expect(try load() == full)
    }
}
