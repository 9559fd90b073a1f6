import KafkaProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one call of `LogManager.cleanFilthiestLog` did.
public struct CleanerRun: Sendable {
    public var topicPartition: TopicPartition
    public var assessment: CleanerPlanner.Assessment
    /// Whether the pass finished (false: the log changed under it, or it was asked to stop).
    public var completed: Bool
    /// The new `cleaner-offset-checkpoint` entry.
    public var endOffset: Int64
    public var stats: CleanerStats
}

extension LogManager {
    /// Picks the dirtiest cleanable compacted log (Kafka's `grabFilthiestCompactedLog`), cleans it once with `map`
    /// and records the new `cleaner-offset-checkpoint`. Returns nil when no log needs cleaning.
    ///
    /// Blocking I/O on the caller's thread, which must be a cleaner thread (never an event loop): the partition
    /// lock is held only to take the snapshot and for each segment swap. Partitions being cleaned by another
    /// caller are skipped, so `log.cleaner.threads` callers can run at once. `onIO` sees every chunk read or
    /// written (the I/O throttle sleeps there).
    public func cleanFilthiestLog(
        now: Int64, map: inout OffsetMap, ioBufferSize: Int = 512 << 10, onIO: @escaping (Int64) -> Void = { _ in }
    ) throws -> CleanerRun? {
        // Open logs first; a log that is not open took no appends since it was last open, so it is looked at
        // only when no open log needs cleaning, from its directory listing (`UnopenedLogEstimate`), and opened
        // only when that says it is dirty enough: start-up and `closeIdle` stay cheap.
        let candidates: [(TopicPartition, PartitionHandle, LogConfig, Int64?, Int64?)] = state.withLock { state in
            guard !state.closed else { return [] }
            return state.slots.compactMap { tp, slot in
                guard slot.config.compact, let handle = slot.handle, state.cleaning[tp] == nil,
                      !state.uncleanable.contains(tp) else { return nil }
                return (tp, handle, slot.config, slot.checkpoints.cleanerOffset, slot.pendingDeleteHorizon)
            }
        }
        var assessed: [(TopicPartition, PartitionHandle, CleaningSnapshot, CleanerPlanner.Assessment, LogConfig)] = []
        func assess(_ tp: TopicPartition, _ handle: PartitionHandle, _ config: LogConfig, _ checkpoint: Int64?, _ horizon: Int64?) {
            guard let snapshot = try? handle.withLog({ log in log.hasFailed || log.isClosed ? nil : try log.cleaningSnapshot() })
            else { return }
            let assessment = CleanerPlanner.assess(snapshot.plannerState(checkpoint: checkpoint, pendingDeleteHorizon: horizon),
                                                   config: config, now: now)
            assessed.append((tp, handle, snapshot, assessment, config))
        }
        for (tp, handle, config, checkpoint, horizon) in candidates { assess(tp, handle, config, checkpoint, horizon) }
        var pick = CleanerPlanner.filthiest(assessed.map { ($0.3, $0.4) })
        if pick == nil, let (tp, handle, config, checkpoint, signature) = openDirtiestUnopened(now: now) {
            assessed = []
            assess(tp, handle, config, checkpoint, nil)
            pick = CleanerPlanner.filthiest(assessed.map { ($0.3, $0.4) })
            // Over-rated from the listing (timestamps, a checkpoint inside the active segment): not reopened for
            // cleaning until its files change.
            if pick == nil { state.withLock { _ = $0.overRatedUnopened[tp] = signature } }
        }
        guard let pick else { return nil }
        let (tp, handle, snapshot, assessment, _) = assessed[pick]
        let claimed = state.withLock { state in
            guard !state.closed, state.cleaning[tp] == nil, state.slots[tp]?.handle === handle else { return false }
            state.cleaning[tp] = false
            return true
        }
        guard claimed else { return nil }
        defer { _ = state.withLock { $0.cleaning.removeValue(forKey: tp) } }
        let stop = { [self] in self.state.withLock { $0.closed || $0.cleaning[tp] == true } }
        let cleaning = LogCleaning(snapshot: snapshot, fileSystem: fileSystem, now: now, ioBufferSize: ioBufferSize,
                                   shouldStop: stop, onIO: onIO)
        let result: LogCleaning.Result
        do {
            result = try cleaning.run(assessment, map: &map) { cleaned in
                try handle.withLog { log in
                    guard !log.isClosed, !stop() else { return false }
                    return try log.replaceSegments(with: cleaned)
                }
            }
        } catch is CleanerAborted {
            return CleanerRun(topicPartition: tp, assessment: assessment, completed: false,
                              endOffset: assessment.firstDirtyOffset, stats: CleanerStats())
        } catch {
            state.withLock { _ = $0.uncleanable.insert(tp) }
            throw error
        }
        if result.completed {
            let directory: Int? = state.withLock { state in
                guard state.slots[tp] != nil else { return nil }
                state.slots[tp]!.checkpoints.cleanerOffset = result.endOffset
                state.slots[tp]!.pendingDeleteHorizon = result.pendingDeleteHorizon
                return state.slots[tp]!.directoryIndex
            }
            if let directory { try writeCleanerCheckpoint(directory) }
        }
        return CleanerRun(topicPartition: tp, assessment: assessment, completed: result.completed,
                          endOffset: result.endOffset, stats: result.stats)
    }

    /// Writes `cleaner-offset-checkpoint` of one log directory.
    func writeCleanerCheckpoint(_ index: Int) throws {
        let entries: [TopicPartition: Int64] = state.withLock { state in
            var entries: [TopicPartition: Int64] = [:]
            for (tp, slot) in state.slots where slot.directoryIndex == index {
                if let offset = slot.checkpoints.cleanerOffset { entries[tp] = offset }
            }
            return entries
        }
        try OffsetCheckpointFile.write(entries, to: FilePath.join(configuration.logDirs[index], OffsetCheckpointFile.cleanerOffset),
                                       fileSystem: fileSystem)
    }

    /// Changes the settings of a partition (a topic's config changed): the open log and the cleaner see them.
    public func updateConfig(_ topicPartition: TopicPartition, _ config: LogConfig) throws {
        let handle: PartitionHandle? = state.withLock { state in
            guard let slot = state.slots[topicPartition], slot.config != config else { return nil }
            state.slots[topicPartition]!.config = config
            return state.slots[topicPartition]!.handle
        }
        try handle?.withLog { $0.config = config }
    }

    /// Asks a cleaner working on the partition to stop and waits until it has (it checks between batches), so that
    /// no `.cleaned` file appears in a directory being removed. Bounded: gives up after about ten seconds.
    func waitForCleaner(_ topicPartition: TopicPartition) {
        for _ in 0..<10_000 {
            let busy = state.withLock { state in
                guard state.cleaning[topicPartition] != nil else { return false }
                state.cleaning[topicPartition] = true
                return true
            }
            guard busy else { return }
            usleep(1000)
        }
    }

    /// The partitions whose cleaning failed (not retried until restart, as in Kafka).
    public var uncleanablePartitions: [TopicPartition] { state.withLock { $0.uncleanable.sorted() } }

    /// The cleaner's checkpoint of a partition, nil when it was never cleaned.
    public func cleanerCheckpoint(_ topicPartition: TopicPartition) -> Int64? {
        state.withLock { $0.slots[topicPartition]?.checkpoints.cleanerOffset }
    }
}
