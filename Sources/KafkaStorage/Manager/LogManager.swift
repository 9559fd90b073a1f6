import KafkaProtocol
import Synchronization

/// Owns the log directories of a broker: finds the partitions in them, opens partition logs on first use, runs
/// flushing, retention and checkpointing when ticked, and writes the clean-shutdown marker on close.
///
/// Opening is lazy so that a broker with thousands of partitions starts fast and an idle partition costs no file
/// descriptor (the shared `FileHandleCache` bounds those) and, after `closeIdle`, no memory beyond its checkpoint
/// entries. Time is passed in; nothing here reads a clock or starts a thread.
public final class LogManager: Sendable {
    /// Broker-level settings (Kafka's names in comments).
    public struct Configuration: Sendable {
        /// `log.dirs`.
        public var logDirs: [String]
        /// Topic defaults (`log.segment.bytes`, `log.retention.*`, ...).
        public var defaultConfig = LogConfig()
        /// Open segment files kept at most.
        public var maxOpenFiles = 1000
        /// Bytes of inactive-segment indexes kept loaded at most.
        public var maxIndexCacheBytes = 64 << 20
        /// `log.retention.check.interval.ms`.
        public var retentionCheckIntervalMs: Int64 = 300_000
        /// `log.flush.offset.checkpoint.interval.ms` (also used for the other checkpoints).
        public var checkpointIntervalMs: Int64 = 60_000
        /// Told about every partition that needed recovery when it was opened (the broker logs it at info).
        public var onRecovery: (@Sendable (TopicPartition, RecoveryReport) -> Void)?

        public init(logDirs: [String]) { self.logDirs = logDirs }
    }

    struct Slot {
        var directoryIndex: Int
        var handle: PartitionHandle?
        /// Set while one thread opens the log (outside the manager's lock); others asking for it wait on it.
        var opening: OpenGate?
        var config: LogConfig
        /// The partition's files are consistent without recovery (clean start, or closed by us).
        var clean: Bool
        var checkpoints: PartitionLog.Checkpoints
        /// The earliest future delete horizon the cleaner left in the log (KIP-534), nil when none or unknown.
        var pendingDeleteHorizon: Int64?
    }

    struct State {
        var slots: [TopicPartition: Slot] = [:]
        var lastRetention: Int64
        var lastCheckpoint: Int64
        var closed = false
        /// Partitions a cleaner is working on, and whether it was asked to stop.
        var cleaning: [TopicPartition: Bool] = [:]
        /// Partitions whose cleaning failed with an I/O or format error (Kafka's uncleanable partitions).
        var uncleanable: Set<TopicPartition> = []
        /// Logs not open that the cleaner opened on their listing's estimate and found not cleanable, with the
        /// listing's signature then: not opened for cleaning again while it is the same.
        var overRatedUnopened: [TopicPartition: [Int64]] = [:]
    }

    public let configuration: Configuration
    public let cache: FileHandleCache
    /// `meta.properties` of each log directory (nil when absent), in `logDirs` order.
    public let metaProperties: [MetaProperties?]
    /// Whether each log directory had the clean-shutdown marker at start.
    public let cleanShutdown: [Bool]
    let state: Mutex<State>

    public var fileSystem: any FileSystem { cache.fileSystem }

    /// Scans the log directories (creating missing ones): reads `meta.properties`, the checkpoints and the
    /// clean-shutdown marker (removing it, so that a crash from now on is seen as unclean), and lists the
    /// partition directories.
    public init(configuration: Configuration, fileSystem: any FileSystem, now: Int64) throws {
        self.configuration = configuration
        self.cache = FileHandleCache(fileSystem: fileSystem, maxOpenFiles: configuration.maxOpenFiles,
                                     maxIndexBytes: configuration.maxIndexCacheBytes)
        var metas: [MetaProperties?] = []
        var cleans: [Bool] = []
        var slots: [TopicPartition: Slot] = [:]
        for (index, dir) in configuration.logDirs.enumerated() {
            try fileSystem.createDirectory(dir)
            metas.append(try MetaProperties.read(directory: dir, fileSystem: fileSystem))
            let marker = FilePath.join(dir, CleanShutdownFile.fileName)
            let clean = fileSystem.exists(marker)
            cleans.append(clean)
            let recovery = try OffsetCheckpointFile.read(FilePath.join(dir, OffsetCheckpointFile.recoveryPoint), fileSystem: fileSystem)
            let starts = try OffsetCheckpointFile.read(FilePath.join(dir, OffsetCheckpointFile.logStartOffset), fileSystem: fileSystem)
            let watermarks = try OffsetCheckpointFile.read(FilePath.join(dir, OffsetCheckpointFile.replicationOffset), fileSystem: fileSystem)
            let cleaned = try OffsetCheckpointFile.read(FilePath.join(dir, OffsetCheckpointFile.cleanerOffset), fileSystem: fileSystem)
            for name in try fileSystem.listDirectory(dir) where fileSystem.isDirectory(FilePath.join(dir, name)) {
                guard let tp = TopicPartition(directoryName: name) else { continue }
                slots[tp] = Slot(directoryIndex: index, handle: nil, config: configuration.defaultConfig, clean: clean,
                                 checkpoints: .init(recoveryPoint: recovery[tp], logStartOffset: starts[tp], highWatermark: watermarks[tp],
                                                   cleanerOffset: cleaned[tp]))
            }
            if clean {
                try fileSystem.remove(marker)
                try fileSystem.syncDirectory(dir)
            }
        }
        self.metaProperties = metas
        self.cleanShutdown = cleans
        self.state = Mutex(State(slots: slots, lastRetention: now, lastCheckpoint: now))
    }

    /// Partitions present in the log directories (open or not).
    public var partitions: [TopicPartition] { state.withLock { $0.slots.keys.sorted() } }

    /// How many partition logs are open.
    public var openPartitionCount: Int { state.withLock { $0.slots.values.filter { $0.handle != nil }.count } }

    /// The log of `topicPartition`, opened (and recovered if needed) on first use; nil when the partition has
    /// no directory here.
    public func log(_ topicPartition: TopicPartition, now: Int64) throws -> PartitionHandle? {
        try open(topicPartition, now: now) { _ in false }
    }

    /// Returns the partition's log, creating its directory (in the log directory with the fewest partitions)
    /// when missing.
    public func createLog(_ topicPartition: TopicPartition, config: LogConfig? = nil, topicId: KafkaUUID? = nil,
                          now: Int64) throws -> PartitionHandle {
        let created = try open(topicPartition, now: now) { state in
            var counts = Array(repeating: 0, count: configuration.logDirs.count)
            for slot in state.slots.values { counts[slot.directoryIndex] += 1 }
            let index = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            state.slots[topicPartition] = Slot(directoryIndex: index, handle: nil,
                                               config: config ?? configuration.defaultConfig, clean: true,
                                               checkpoints: .init())
            return true
        }
        guard let handle = created else { throw StorageError.notFound("\(topicPartition)") }
        if let topicId { try handle.withLog { try $0.setTopicId(topicId) } }
        return handle
    }

    private enum OpenStep {
        case absent
        case open(PartitionHandle)
        case wait(OpenGate)
        case openHere(OpenGate, Slot)
    }

    /// The partition's handle, opening its log when needed. The opening itself (reading, perhaps recovering the
    /// files) runs outside the manager's lock: the slot holds a gate meanwhile, and only callers asking for the
    /// same partition wait on it. `addMissing` may add the slot (under the lock) and says whether it did.
    private func open(_ topicPartition: TopicPartition, now: Int64,
                      addMissing: (inout State) -> Bool) throws -> PartitionHandle? {
        let step: OpenStep = state.withLock { state in
            if state.slots[topicPartition] == nil, !addMissing(&state) { return .absent }
            guard let slot = state.slots[topicPartition] else { return .absent }
            if let handle = slot.handle { return .open(handle) }
            if let gate = slot.opening { return .wait(gate) }
            // A request still running while the node stops may open a log after `close` (as it could when opening
            // held the lock). Refusing needs every caller to answer that as a shutdown (NOT_LEADER_OR_FOLLOWER),
            // not as a storage error; until then it is allowed, as before.
            let gate = OpenGate()
            state.slots[topicPartition]!.opening = gate
            return .openHere(gate, slot)
        }
        switch step {
        case .absent: return nil
        case .open(let handle): return handle
        case .wait(let gate): return try gate.wait()
        case .openHere(let gate, let slot):
            do {
                let handle = try openOutsideLock(topicPartition, slot, gate: gate, now: now)
                gate.finish(.success(handle))
                return handle
            } catch {
                state.withLock { state in
                    if state.slots[topicPartition]?.opening === gate { state.slots[topicPartition]!.opening = nil }
                }
                gate.finish(.failure(error))
                throw error
            }
        }
    }

    private func openOutsideLock(_ topicPartition: TopicPartition, _ slot: Slot, gate: OpenGate,
                                 now: Int64) throws -> PartitionHandle {
        let log = try PartitionLog.open(
            directory: directoryPath(slot.directoryIndex, topicPartition), topicPartition: topicPartition,
            config: slot.config, cache: cache, checkpoints: slot.checkpoints, cleanShutdown: slot.clean, now: now)
        if let report = log.recovery { configuration.onRecovery?(topicPartition, report) }
        let handle = PartitionHandle(log)
        // Published in the same step that ends the gate. What changed while the files were read: settings
        // (updateConfig) are taken over; a partition deleted meanwhile gets no log. The new handle's lock is taken
        // inside the manager's, the order every other path uses.
        let published: Bool = try state.withLock { state in
            guard var current = state.slots[topicPartition], current.opening === gate else {
                try handle.withLog { $0.isClosed = true }
                return false
            }
            if current.config != slot.config {
                let config = current.config
                try handle.withLog { $0.config = config }
            }
            current.opening = nil
            current.handle = handle
            current.clean = false
            state.slots[topicPartition] = current
            return true
        }
        guard published else {
            throw StorageError.notFound("\(topicPartition) (deleted while it was being opened)")
        }
        return handle
    }

    /// Deletes a partition's directory and forgets it.
    public func deleteLog(_ topicPartition: TopicPartition) throws {
        waitForCleaner(topicPartition)
        try state.withLock { state in
            guard let slot = state.slots.removeValue(forKey: topicPartition) else { return }
            try slot.handle?.withLog { $0.isClosed = true }
            let path = directoryPath(slot.directoryIndex, topicPartition)
            cache.invalidate(prefix: path + "/")
            try fileSystem.removeRecursively(path)
            try fileSystem.syncDirectory(configuration.logDirs[slot.directoryIndex])
        }
    }

    func directoryPath(_ index: Int, _ topicPartition: TopicPartition) -> String {
        FilePath.join(configuration.logDirs[index], topicPartition.directoryName)
    }

    /// Periodic work: `flush.ms` flushes, retention every `retentionCheckIntervalMs` (opening unopened
    /// partitions for it), checkpoints every `checkpointIntervalMs`. Errors of one partition do not stop the
    /// others; they are returned.
    @discardableResult
    public func tick(now: Int64) -> [(TopicPartition, Error)] {
        var errors: [(TopicPartition, Error)] = []
        let (handles, retentionDue, checkpointDue) = state.withLock { state in
            let retention = now - state.lastRetention >= configuration.retentionCheckIntervalMs
            let checkpoint = now - state.lastCheckpoint >= configuration.checkpointIntervalMs
            if retention { state.lastRetention = now }
            if checkpoint { state.lastCheckpoint = now }
            return (state.slots.compactMapValues(\.handle), retention, checkpoint)
        }
        for (tp, handle) in handles {
            do { try handle.withLog { try $0.flushIfDue(now: now) } } catch { errors.append((tp, error)) }
        }
        if retentionDue {
            for tp in partitions {
                do { try log(tp, now: now)?.withLog { _ = try $0.applyRetention(now: now) } } catch { errors.append((tp, error)) }
            }
        }
        if checkpointDue {
            do { try writeCheckpoints() } catch { errors.append((TopicPartition("", -1), error)) }
        }
        return errors
    }

    /// Writes the three per-directory offset checkpoints from the open logs (and the last known values of the
    /// others).
    public func writeCheckpoints() throws {
        let slots = try state.withLock { state in
            for (tp, slot) in state.slots {
                guard let handle = slot.handle else { continue }
                let current = try handle.withLog { log in
                    PartitionLog.Checkpoints(recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset,
                                             highWatermark: log.highWatermark, cleanerOffset: slot.checkpoints.cleanerOffset)
                }
                state.slots[tp]!.checkpoints = current
            }
            return state.slots
        }
        for (index, dir) in configuration.logDirs.enumerated() {
            var recovery: [TopicPartition: Int64] = [:]
            var starts: [TopicPartition: Int64] = [:]
            var watermarks: [TopicPartition: Int64] = [:]
            var cleaned: [TopicPartition: Int64] = [:]
            for (tp, slot) in slots where slot.directoryIndex == index {
                if let value = slot.checkpoints.cleanerOffset { cleaned[tp] = value }
                if let value = slot.checkpoints.recoveryPoint { recovery[tp] = value }
                if let value = slot.checkpoints.logStartOffset, value > 0 { starts[tp] = value }
                if let value = slot.checkpoints.highWatermark { watermarks[tp] = value }
            }
            try OffsetCheckpointFile.write(recovery, to: FilePath.join(dir, OffsetCheckpointFile.recoveryPoint), fileSystem: fileSystem)
            try OffsetCheckpointFile.write(starts, to: FilePath.join(dir, OffsetCheckpointFile.logStartOffset), fileSystem: fileSystem)
            try OffsetCheckpointFile.write(watermarks, to: FilePath.join(dir, OffsetCheckpointFile.replicationOffset), fileSystem: fileSystem)
            if !cleaned.isEmpty || fileSystem.exists(FilePath.join(dir, OffsetCheckpointFile.cleanerOffset)) {
                try OffsetCheckpointFile.write(cleaned, to: FilePath.join(dir, OffsetCheckpointFile.cleanerOffset), fileSystem: fileSystem)
            }
        }
    }

    /// Closes open logs unused for `idleMs`: they are flushed and their memory released; the next use reopens them
    /// without recovery. Returns how many were closed.
    @discardableResult
    public func closeIdle(idleMs: Int64, now: Int64) throws -> Int {
        try state.withLock { state in
            var closed = 0
            for (tp, slot) in state.slots {
                guard let handle = slot.handle else { continue }
                // A log being cleaned stays open (the cleaner swaps segments into this instance).
                guard state.cleaning[tp] == nil else { continue }
                let result: PartitionLog.Checkpoints? = try handle.withLog { log in
                    guard now - log.lastUsed >= idleMs, !log.hasFailed else { return nil }
                    try log.close(now: now)
                    return .init(recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset,
                                 highWatermark: log.highWatermark, cleanerOffset: slot.checkpoints.cleanerOffset)
                }
                if let result {
                    state.slots[tp]!.handle = nil
                    state.slots[tp]!.clean = true
                    state.slots[tp]!.checkpoints = result
                    closed += 1
                }
            }
            return closed
        }
    }

    /// Clean shutdown: closes every log (flush, indexes, producer snapshots), writes the checkpoints, then the
    /// clean-shutdown marker in each log directory. If any log fails to close, no marker is written for its
    /// directory, so the next start recovers it.
    public func close(brokerEpoch: Int64, now: Int64) throws {
        var failedDirectories = Set<Int>()
        var firstError: Error?
        let slots = state.withLock { $0.slots }
        for (tp, slot) in slots {
            guard let handle = slot.handle else { continue }
            do {
                let result = try handle.withLog { log in
                    if log.hasFailed { throw StorageError.logFailed("\(tp)") }
                    try log.close(now: now)
                    return PartitionLog.Checkpoints(recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset,
                                                    highWatermark: log.highWatermark,
                                                    cleanerOffset: slot.checkpoints.cleanerOffset)
                }
                state.withLock {
                    $0.slots[tp]?.checkpoints = result
                    $0.slots[tp]?.handle = nil
                    $0.slots[tp]?.clean = true
                }
            } catch {
                failedDirectories.insert(slot.directoryIndex)
                firstError = firstError ?? error
            }
        }
        try writeCheckpoints()
        for (index, dir) in configuration.logDirs.enumerated() where !failedDirectories.contains(index) {
            try fileSystem.writeAtomically(FilePath.join(dir, CleanShutdownFile.fileName),
                                           text: CleanShutdownFile.format(brokerEpoch: brokerEpoch))
        }
        state.withLock { $0.closed = true }
        if let firstError { throw firstError }
    }
}
