import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The data path of the partitions this node leads: appends validated batches, serves reads and offset lookups.
/// Each led partition's high watermark is its `LeaderReplicationState`'s (the smallest log end in the ISR, moved
/// by appends and followers' fetches); an acks=all produce waits on it. With one replica it follows the log end.
public final class ReplicaManager: Sendable {
    public let logs: LogManager
    public let notifier = AppendNotifier()
    /// Which partitions this node leads or follows (set by the metadata log).
    let roles = PartitionReplicas()
    /// This process's own broker epoch (`OwnBrokerEpoch`), for what it sends as a replica or a leader.
    let brokerEpoch = OwnBrokerEpoch()
    let clock: @Sendable () -> Int64
    let logger: Logger

    public init(logs: LogManager, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.logs = logs
        self.clock = clock
        self.logger = logger
    }

    /// The outcome of a produce to one partition (the fields of ProduceResponse's PartitionProduceResponse).
    public struct ProduceResult: Sendable {
        public var error: KafkaError = .none
        public var errorMessage: String? = nil
        public var baseOffset: Int64 = -1
        public var logAppendTime: Int64 = -1
        public var logStartOffset: Int64 = -1
        /// An acks=all produce waiting for the high watermark: pass to `awaitAck`.
        var waiter: UInt64? = nil
    }

    /// Appends a produce's batches to a partition this node leads. `requiredAcks` -1 checks `min.insync.replicas`
    /// before the append (NOT_ENOUGH_REPLICAS) and registers a waiter that completes when the high watermark
    /// passes the batch or `timeoutMs` runs out; `leaderEpoch` is used only for a partition with no replication
    /// role (a single replica outside the metadata log's control).
    public func append(
        _ tp: TopicPartition, records: ByteBuffer, produceVersion: Int16, settings: ProduceSettings, leaderEpoch: Int32,
        requiredAcks: Int16 = 1, timeoutMs: Int32 = 30_000
    ) -> ProduceResult {
        let now = clock()
        var result = ProduceResult()
        let validated: ValidatedRecords
        switch ProduceValidator.validate(records, produceVersion: produceVersion, settings: settings, now: now) {
        case .failure(let e):
            result.error = e
            return result
        case .success(let v): validated = v
        }
        do {
            guard let handle = try logs.log(tp, now: now) else {
                result.error = .unknownTopicOrPartition
                return result
            }
            var bytes = validated.records
            let deadline = now + Int64(max(0, timeoutMs))
            let waits = requiredAcks == -1
            let outcome: ProduceResult = try handle.withLog { log in
                var r = ProduceResult()
                r.logStartOffset = log.logStartOffset
                // Leadership and the ISR size are checked under the partition's lock, as Kafka's leader lock does.
                var epoch = leaderEpoch
                switch roles.role(tp) {
                case .follower:
                    r.error = .notLeaderOrFollower
                    return r
                case .leader(let led):
                    let check = led.state.checkAppend(requiredAcks: requiredAcks)
                    guard check == .none else {
                        r.error = check
                        r.errorMessage = "The size of the current ISR \(led.state.isr) is insufficient to satisfy the min.isr requirement of \(led.state.config.minInsyncReplicas) for partition \(tp)"
                        return r
                    }
                    epoch = led.state.leaderEpoch
                case nil: break
                }
                if validated.producerId >= 0 {
                    switch log.checkSequence(producerId: validated.producerId, producerEpoch: validated.producerEpoch,
                                             firstSequence: validated.firstSequence, lastSequence: validated.lastSequence) {
                    case .accept: break
                    case .duplicate(let original):
                        // A retried batch is not appended again; the producer gets the original offsets.
                        r.baseOffset = original.firstOffset
                        r.logAppendTime = settings.logAppendTime ? original.timestamp : -1
                        // Answered like the first attempt: with acks=all, once the high watermark passes it.
                        if waits {
                            let commit = afterAppend(tp, log: log, now: now, wait: (original.lastOffset + 1, deadline))
                            r.waiter = commit.waiter
                            r.error = commit.answered
                        }
                        return r
                    case .outOfOrderSequence(let expected, let received):
                        r.error = .outOfOrderSequenceNumber
                        r.errorMessage = "Out of order sequence number for producer \(validated.producerId) at offset \(log.logEndOffset) in partition \(tp): \(received) (incoming seq. number), \(expected - 1) (current end sequence number)"
                        return r
                    case .invalidProducerEpoch(let current, let received):
                        r.error = .invalidProducerEpoch
                        r.errorMessage = "Epoch of producer \(validated.producerId) at offset \(log.logEndOffset) in \(tp) is \(received), which is smaller than the last seen epoch \(current)"
                        return r
                    }
                }
                let info = try log.append(&bytes, origin: .leader(epoch: epoch), now: now)
                let after = afterAppend(tp, log: log, now: now, wait: waits ? (info.lastOffset + 1, deadline) : nil)
                r.waiter = after.waiter
                r.error = after.answered
                r.baseOffset = info.firstOffset
                r.logAppendTime = settings.logAppendTime ? now : -1
                return r
            }
            result = outcome
            // Followers long-poll on appends; consumers on the high watermark (a single replica's moves with them).
            if result.error == .none { notifier.notify(tp) }
        } catch {
            logger.error("append to \(tp) failed: \(error)")
            result.error = .kafkaStorageError
        }
        return result
    }

    /// After this leader appended to `tp` (inside the log's lock): the replication state learns the new log end
    /// (with no follower in the ISR the high watermark moves with it) and an acks=all produce registers its wait.
    /// A partition with no replication role is a single replica: committed as appended.
    func afterAppend(_ tp: TopicPartition, log: PartitionLog, now: Int64,
                     wait: (requiredOffset: Int64, deadline: Int64)?) -> AppendCommit {
        let step = roles.withLeader(tp, log: log) { step in
            step.actions = step.led.state.appended(logEndOffset: log.logEndOffset, now: now)
            step.wait = wait
        }
        if let step { return AppendCommit(advanced: step.advanced, waiter: step.waiter, answered: step.answered ?? .none) }
        Self.commitLocalLog(log)
        return AppendCommit(advanced: true, waiter: nil, answered: .none)
    }

    /// Where an append stands with respect to its commit.
    struct AppendCommit {
        /// The high watermark moved.
        var advanced: Bool
        /// An acks=all append still waiting for the high watermark.
        var waiter: UInt64?
        /// The answer when it did not have to wait (`.none`, or NOT_ENOUGH_REPLICAS_AFTER_APPEND).
        var answered: KafkaError
    }

    /// Waits until the acks=all produce `waiter` (from `append`) is answered: `.none`,
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT, or NOT_LEADER_OR_FOLLOWER when leadership moved.
    func awaitAck(_ waiter: UInt64) async -> KafkaError {
        await roles.awaitAck(waiter)
    }

    /// A log with no replication role (not placed by the metadata log) is its only replica, so everything in it is
    /// committed. A log opened after a crash starts from its last high-watermark checkpoint (or 0), below records
    /// that were acknowledged; it is raised to the log end before serving, as Kafka's leader does when it takes
    /// leadership with itself as the whole ISR. Logs with a role get their high watermark from replication.
    func commitIfUnreplicated(_ tp: TopicPartition, _ log: PartitionLog) {
        if roles.role(tp) == nil { Self.commitLocalLog(log) }
    }

    static func commitLocalLog(_ log: PartitionLog) {
        if log.highWatermark < log.logEndOffset { log.updateHighWatermark(log.logEndOffset) }
    }

    /// The outcome of reading one partition for a fetch.
    public struct ReadResult: Sendable {
        public var error: KafkaError = .none
        public var records: ByteBuffer? = nil
        public var highWatermark: Int64 = -1
        public var lastStableOffset: Int64 = -1
        public var logStartOffset: Int64 = -1
        public var abortedTransactions: [AbortedTransaction]? = nil
        /// With `zeroCopy`, the bytes as a region of the segment file instead of `records`.
        public var fileSlice: FileSlice? = nil
    }

    /// Who sent a follower fetch, and what it said of its log.
    public struct FollowerFetch: Sendable {
        public var replicaId: Int32
        /// The follower's broker epoch (Fetch v15 `ReplicaState.ReplicaEpoch`), -1 when not sent.
        public var brokerEpoch: Int64
        public var logStartOffset: Int64

        public init(replicaId: Int32, brokerEpoch: Int64, logStartOffset: Int64) {
            self.replicaId = replicaId
            self.brokerEpoch = brokerEpoch
            self.logStartOffset = logStartOffset
        }
    }

    /// Reads one partition for a fetch. With `zeroCopy` the data comes back as a `FileSlice` (a duplicated
    /// descriptor of the segment file, so a segment closed or deleted meanwhile stays readable) for `sendfile`.
    ///
    /// Consumers read below the high watermark (or the last stable offset, `readCommitted`); a follower
    /// (`follower`) reads to the log end, as Kafka's `FetchLogEnd` isolation, and its fetch offset is its log end
    /// for the leader's replication state (which may move the high watermark and the ISR) before the read.
    public func read(_ tp: TopicPartition, offset: Int64, maxBytes: Int, readCommitted: Bool, minOneBatch: Bool,
                     zeroCopy: Bool = false, follower: FollowerFetch? = nil) -> ReadResult {
        var result = ReadResult()
        let now = clock()
        var advanced = false
        defer { if advanced { notifier.notify(tp) } }
        do {
            guard let handle = try logs.log(tp, now: now) else {
                result.error = .unknownTopicOrPartition
                return result
            }
            return try handle.withLog { log in
                commitIfUnreplicated(tp, log)
                var r = ReadResult()
                if let follower, offset >= log.logStartOffset, offset <= log.logEndOffset {
                    // Kafka's updateFollowerFetchState; a fetch out of range says nothing of the follower's log.
                    let step = roles.withLeader(tp, log: log) { step -> KafkaError in
                        do throws(KafkaError) {
                            step.actions = try step.led.state.followerFetched(
                                replicaId: follower.replicaId, fetchOffset: offset, logStartOffset: follower.logStartOffset,
                                brokerEpoch: follower.brokerEpoch, now: now)
                            return .none
                        } catch {
                            return error
                        }
                    }
                    if roles.role(tp) != nil {
                        guard let step, step.value == .none else {
                            r.error = step?.value ?? .notLeaderOrFollower
                            return r
                        }
                        advanced = step.advanced
                    }
                }
                r.highWatermark = log.highWatermark
                r.lastStableOffset = log.lastStableOffset
                r.logStartOffset = log.logStartOffset
                let toLogEnd = follower != nil
                let limit = toLogEnd ? log.logEndOffset : readCommitted ? log.lastStableOffset : log.highWatermark
                let read: LogReadResult
                do {
                    read = try log.read(from: offset, maxBytes: maxBytes, maxOffset: limit, minOneBatch: minOneBatch, now: now)
                } catch StorageError.offsetOutOfRange {
                    r.error = .offsetOutOfRange
                    return r
                }
                if let region = read.region {
                    if zeroCopy, let fd = region.file.descriptor, case let copy = dup(fd), copy >= 0 {
                        r.fileSlice = FileSlice(descriptor: copy, position: region.position, length: region.length)
                    } else {
                        r.records = try region.bytes()
                    }
                    if readCommitted && !toLogEnd {
                        r.abortedTransactions = log.collectAbortedTransactions(from: offset, upTo: limit)
                    }
                }
                return r
            }
        } catch {
            logger.error("read from \(tp) failed: \(error)")
            result.error = .kafkaStorageError
            return result
        }
    }

    /// A partition's high watermark, last stable offset and log start, with no records (a fetch answered with a
    /// diverging epoch).
    public func watermarks(_ tp: TopicPartition) -> ReadResult {
        var r = ReadResult()
        do {
            guard let handle = try logs.log(tp, now: clock()) else {
                r.error = .unknownTopicOrPartition
                return r
            }
            try handle.withLog { log in
                commitIfUnreplicated(tp, log)
                r.highWatermark = log.highWatermark
                r.lastStableOffset = log.lastStableOffset
                r.logStartOffset = log.logStartOffset
            }
        } catch {
            r.error = .kafkaStorageError
        }
        return r
    }

    /// ListOffsets for one partition: (error, offset, timestamp).
    public func listOffset(_ tp: TopicPartition, timestamp: Int64, readCommitted: Bool) -> (KafkaError, Int64, Int64) {
        let now = clock()
        do {
            guard let handle = try logs.log(tp, now: now) else { return (.unknownTopicOrPartition, -1, -1) }
            return try handle.withLog { log in
                commitIfUnreplicated(tp, log)
                let cap = readCommitted ? log.lastStableOffset : log.highWatermark
                switch timestamp {
                case -1: return (.none, cap, -1)
                case -2, -4: return (.none, log.logStartOffset, -1)
                case -5: return (.none, log.logStartOffset, -1)  // no tiered storage: the local log is all there is
                default:
                    guard let spec = OffsetSpec(listOffsetsTimestamp: timestamp) else { return (.invalidRequest, -1, -1) }
                    guard let found = try log.offset(for: spec), found.offset < cap || spec == .maxTimestamp else {
                        return (.none, -1, -1)
                    }
                    return (.none, found.offset, found.timestamp)
                }
            }
        } catch {
            logger.error("offset lookup on \(tp) failed: \(error)")
            return (.kafkaStorageError, -1, -1)
        }
    }
}

extension ReplicaManager {
    /// DeleteRecords on one partition: (error, new log start offset).
    public func deleteRecords(_ tp: TopicPartition, before offset: Int64) -> (KafkaError, Int64) {
        let now = clock()
        do {
            guard let handle = try logs.log(tp, now: now) else { return (.unknownTopicOrPartition, -1) }
            return try handle.withLog { log in
                let target = offset == -1 ? log.highWatermark : offset
                guard target >= 0, target <= log.highWatermark else { return (.offsetOutOfRange, -1) }
                if target > log.logStartOffset { try log.deleteRecords(before: target, now: now) }
                return (.none, log.logStartOffset)
            }
        } catch {
            logger.error("delete records on \(tp) failed: \(error)")
            return (.kafkaStorageError, -1)
        }
    }
}

extension ReplicaManager {
    /// The size in bytes of every partition log, with the log directory holding it.
    public func partitionSizes() -> [(partition: TopicPartition, directory: String, size: Int64)] {
        let now = clock()
        return logs.partitions.compactMap { tp in
            guard let handle = try? logs.log(tp, now: now),
                  let (dir, size) = try? handle.withLog({ log -> (String, Int64) in
                      let parent = log.directory.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                      return (parent, log.sizeInBytes)
                  })
            else { return nil }
            return (tp, dir, size)
        }
    }

    /// OffsetForLeaderEpoch on one partition: (error, epoch, end offset).
    public func endOffset(_ tp: TopicPartition, forLeaderEpoch epoch: Int32) -> (KafkaError, Int32, Int64) {
        let now = clock()
        do {
            guard let handle = try logs.log(tp, now: now) else { return (.unknownTopicOrPartition, -1, -1) }
            return try handle.withLog { log in
                guard let found = log.endOffset(forLeaderEpoch: epoch) else { return (.none, -1, -1) }
                return (.none, found.epoch, found.endOffset)
            }
        } catch {
            return (.kafkaStorageError, -1, -1)
        }
    }

    /// The producers with state in one partition.
    public func activeProducers(_ tp: TopicPartition) -> (KafkaError, [ProducerStateEntry]) {
        let now = clock()
        do {
            guard let handle = try logs.log(tp, now: now) else { return (.unknownTopicOrPartition, []) }
            return try handle.withLog { log in
                (.none, log.producerState.producers.values.sorted { $0.producerId < $1.producerId })
            }
        } catch {
            return (.kafkaStorageError, [])
        }
    }
}

extension ReplicaManager {
    /// Appends batches the broker itself wrote (coordinator records, transaction markers): no client validation,
    /// offsets assigned, at this node's leader epoch; NOT_LEADER_OR_FOLLOWER on a partition it follows.
    ///
    /// `lease`, from a coordinator, is the leadership it loaded under: under any other (this node lost the
    /// partition, even if it has led it again since) the append is refused with NOT_COORDINATOR, so that a stale
    /// coordinator never writes.
    ///
    /// With `commitTimeoutMs` the append is an acks=all write: the returned waiter (pass it to `awaitAck`) is
    /// answered when the high watermark passes it, as Kafka's coordinators wait before they reply.
    @discardableResult
    public func appendInternal(_ tp: TopicPartition, records: ByteBuffer, lease: CoordinatorLease? = nil,
                               commitTimeoutMs: Int32? = nil) throws -> UInt64? {
        let now = clock()
        guard let handle = try logs.log(tp, now: now) else { throw StorageError.notFound("\(tp)") }
        var bytes = records
        let waiter = try handle.withLog { log -> UInt64? in
            if let lease, roles.lease(tp) != lease { throw KafkaError.notCoordinator }
            guard let epoch = roles.leaderEpoch(tp) else { throw KafkaError.notLeaderOrFollower }
            let info = try log.append(&bytes, origin: .leader(epoch: epoch), now: now)
            return afterAppend(tp, log: log, now: now,
                               wait: commitTimeoutMs.map { (info.lastOffset + 1, now + Int64($0)) }).waiter
        }
        notifier.notify(tp)
        return waiter
    }

    /// Appends a coordinator's transactional batch of `producerId` (a transactional offset commit), refused with
    /// INVALID_PRODUCER_EPOCH when the partition has seen a newer epoch of the producer (it was fenced, and the
    /// abort marker of the bumped epoch is already there), as Kafka's producer state check does.
    @discardableResult
    public func appendInternalTransactional(_ tp: TopicPartition, records: ByteBuffer, producerId: Int64, producerEpoch: Int16,
                                            lease: CoordinatorLease? = nil, commitTimeoutMs: Int32? = nil) throws -> UInt64? {
        let now = clock()
        guard let handle = try logs.log(tp, now: now) else { throw StorageError.notFound("\(tp)") }
        var bytes = records
        let waiter = try handle.withLog { log -> UInt64? in
            if let lease, roles.lease(tp) != lease { throw KafkaError.notCoordinator }
            guard let epoch = roles.leaderEpoch(tp) else { throw KafkaError.notLeaderOrFollower }
            if let entry = log.producerEntry(producerId), entry.producerEpoch > producerEpoch {
                throw KafkaError.invalidProducerEpoch
            }
            let info = try log.append(&bytes, origin: .leader(epoch: epoch), now: now)
            return afterAppend(tp, log: log, now: now,
                               wait: commitTimeoutMs.map { (info.lastOffset + 1, now + Int64($0)) }).waiter
        }
        notifier.notify(tp)
        return waiter
    }

    /// Calls `body` with the key and value of every record of a partition, from its log start (coordinator load).
    public func forEachRecord(_ tp: TopicPartition, _ body: (ByteBuffer?, ByteBuffer?) throws -> Void) throws {
        try forEachEntry(tp) { entry in
            if case .record(let key, let value, _) = entry { try body(key, value) }
        }
    }

    /// Calls `body` with every data record of a partition (with its batch's producer) and every transaction marker,
    /// in log order, from its log start: the load of a coordinator whose records may be transactional.
    public func forEachEntry(_ tp: TopicPartition, _ body: (CoordinatorLogEntry) throws -> Void) throws {
        let now = clock()
        // A coordinator partition the metadata names but whose log is not open yet (just created): not loadable yet,
        // rather than loaded empty.
        guard let handle = try logs.log(tp, now: now) else { throw KafkaError.coordinatorLoadInProgress }
        let regions: [ByteBuffer] = try handle.withLog { log in
            var out: [ByteBuffer] = []
            var offset = log.logStartOffset
            while offset < log.logEndOffset {
                let read = try log.read(from: offset, maxBytes: 1 << 20, now: now)
                guard let region = read.region else { break }
                let bytes = try region.bytes()
                var it = RecordBatchIterator(bytes)
                var last = offset
                while let batch = try it.next() { last = batch.header.nextOffset }
                if last == offset { break }
                out.append(bytes)
                offset = last
            }
            return out
        }
        for bytes in regions {
            var it = RecordBatchIterator(bytes)
            while let batch = try it.next() {
                let header = batch.header
                if header.isControl {
                    guard header.isTransactional else { continue }
                    try batch.forEachRecord { r in
                        guard let marker = try? EndTransactionMarker(record: r) else { return }
                        try body(.marker(producerId: header.producerId, producerEpoch: header.producerEpoch, commit: marker.isCommit))
                    }
                    continue
                }
                let producer = header.isTransactional && header.producerId >= 0
                    ? TransactionalBatchProducer(producerId: header.producerId, producerEpoch: header.producerEpoch) : nil
                try batch.forEachRecord { r in try body(.record(key: r.key, value: r.value, transactional: producer)) }
            }
        }
    }
}

/// The producer of a transactional batch.
public struct TransactionalBatchProducer: Sendable, Hashable {
    public var producerId: Int64
    public var producerEpoch: Int16
}

/// What a coordinator load sees of its partition (`ReplicaManager.forEachEntry`).
public enum CoordinatorLogEntry: Sendable {
    /// A data record; `transactional` is set when its batch belongs to a transaction.
    case record(key: ByteBuffer?, value: ByteBuffer?, transactional: TransactionalBatchProducer?)
    /// The COMMIT (`commit`) or ABORT marker of a producer's transaction.
    case marker(producerId: Int64, producerEpoch: Int16, commit: Bool)
}
