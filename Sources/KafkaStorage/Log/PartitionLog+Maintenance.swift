import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// fsyncs everything below `offset` (default: the log end) that is not yet durable: the segments' `.log`
    /// files, the index files of rolled segments, and the directory when segment files were created or removed.
    /// Then the recovery point moves to `offset`. A failed fsync puts the log in the failed state.
    public func flush(upTo offset: Int64? = nil, now: Int64) throws {
        try ensureWritable()
        let target = min(offset ?? logEndOffset, logEndOffset)
        guard target > recoveryPoint || directoryDirty else { return }
        do {
            let first = segmentIndex(for: recoveryPoint) ?? 0
            for segment in segments[first...] where segment.baseOffset < max(target, recoveryPoint + 1) {
                try segment.sync(indexes: segment.active == nil)
            }
            if directoryDirty {
                try fileSystem.syncDirectory(directory)
                directoryDirty = false
            }
        } catch {
            throw fail(error)
        }
        recoveryPoint = max(recoveryPoint, target)
        if recoveryPoint >= logEndOffset {
            unflushedMessages = 0
            firstUnflushedAppend = nil
        }
    }

    /// Applies `flush.ms`: flushes when the oldest unflushed append is older than it.
    public func flushIfDue(now: Int64) throws {
        guard let flushMs = config.flushMs, let first = firstUnflushedAppend, now - first >= flushMs else { return }
        try flush(upTo: logEndOffset, now: now)
    }

    /// Records that leader epoch `epoch` starts at the log end: a replica becoming leader does this before its
    /// first append, so followers' OffsetsForLeaderEpoch and diverging-epoch checks see the new epoch at once
    /// (Kafka's `maybeAssignEpochStartOffset`). The entry is at the log end, so its write waits for the first
    /// append (`leaderEpochsDeferred`): a crash before then reopens the log without it, as a reopen would drop it.
    public func assignEpochStartOffset(_ epoch: Int32) throws {
        try ensureWritable()
        if leaderEpochs.assign(epoch: epoch, startOffset: logEndOffset) { leaderEpochsDeferred = true }
    }

    /// Truncates the log to `offset` (a follower diverged from its leader): removes every batch at or after it,
    /// adjusting the high watermark, recovery point, leader epochs and producer state.
    public func truncate(to offset: Int64, now: Int64) throws {
        try ensureWritable()
        guard offset < logEndOffset else {
            // No record goes, but the epoch history may still end with an epoch this node started as leader and
            // never appended in, at the log end; the new leader does not know it, and a follower that kept it
            // would send it as its last fetched epoch and be told to truncate again, forever (Kafka's truncateTo
            // cuts the epoch cache in this case too). Found by the replication simulation.
            if leaderEpochs.truncateFromEnd(max(offset, logStartOffset)) { try writeLeaderEpochs() }
            return
        }
        do {
            if offset <= segments[0].baseOffset || offset < logStartOffset {
                try truncateFully(startAt: offset, now: now)
                return
            }
            let keep = segmentIndex(for: offset)!
            for segment in segments[(keep + 1)...] { try segment.delete() }
            if keep + 1 < segments.count { directoryDirty = true }
            segments.removeSubrange((keep + 1)...)
            let segment = segments[keep]
            logEndOffset = try segment.truncate(to: offset) ?? segment.baseOffset
        } catch {
            throw fail(error)
        }
        try afterTruncation()
    }

    /// Deletes every segment and starts an empty log at `offset`.
    public func truncateFully(startAt offset: Int64, now: Int64) throws {
        do {
            for segment in segments { try segment.delete() }
            segments = [try LogSegment.create(directory: directory, baseOffset: offset, now: now, cache: cache,
                                              indexIntervalBytes: config.indexIntervalBytes)]
            directoryDirty = true
            logStartOffset = offset
            logEndOffset = offset
            producerState = ProducerStateTable()
            producerState.mapEndOffset = offset
            for name in try fileSystem.listDirectory(directory) where name.hasSuffix(LogFileNames.snapshotSuffix) {
                try fileSystem.remove(path(name))
            }
        } catch {
            throw fail(error)
        }
        try afterTruncation()
    }

    private func afterTruncation() throws {
        highWatermark = min(max(highWatermark, logStartOffset), logEndOffset)
        recoveryPoint = min(recoveryPoint, logEndOffset)
        if leaderEpochs.truncateFromEnd(logEndOffset) { try writeLeaderEpochs() }
        // Rebuild producer state from the newest snapshot at or below the new end.
        var best: (Int64, ProducerStateTable)?
        for name in try fileSystem.listDirectory(directory) {
            guard let (offset, suffix) = LogFileNames.parse(name), suffix == LogFileNames.snapshotSuffix else { continue }
            if offset > logEndOffset {
                try fileSystem.remove(path(name))
            } else if offset > (best?.0 ?? -1), let table = try? ProducerSnapshotFile.decode(try fileSystem.readFile(path(name)), offset: offset) {
                best = (offset, table)
            }
        }
        producerState = best?.1 ?? ProducerStateTable()
        if best == nil { producerState.mapEndOffset = segments[0].baseOffset }
        try replayProducerState(upTo: logEndOffset)
        // Aborted transactions whose markers were cut off go with them.
        for segment in segments where segment.abortedTransactions.contains(where: { $0.lastOffset >= logEndOffset }) {
            segment.abortedTransactions.removeAll { $0.lastOffset >= logEndOffset }
            segment.persistedAbortedCount = Int.max
            try segment.writePendingIndexes()
        }
    }

    /// DeleteRecords: moves the log start offset to `offset` (at most the high watermark) and deletes the segments
    /// wholly below it (never the active one).
    public func deleteRecords(before offset: Int64, now: Int64) throws {
        try ensureWritable()
        guard offset <= highWatermark else {
            throw StorageError.offsetOutOfRange(requested: offset, logStartOffset: logStartOffset, logEndOffset: highWatermark)
        }
        guard offset > logStartOffset else { return }
        logStartOffset = offset
        producerState.removeProducers(before: offset)
        if leaderEpochs.truncateFromStart(offset) { try writeLeaderEpochs() }
        _ = try deleteOldSegments(now: now, retentionMs: nil, retentionBytes: nil)
    }

    /// Retention: deletes the oldest whole segments that are below the log start offset, older than
    /// `retentionMs`, or beyond `retentionBytes` (defaults: the log's config). Returns how many were deleted.
    @discardableResult
    public func applyRetention(now: Int64, retentionMs: Int64?? = nil, retentionBytes: Int64?? = nil) throws -> Int {
        try ensureWritable()
        // A compact-only log keeps its segments (Kafka applies time and size retention only with `delete`).
        return try deleteOldSegments(now: now, retentionMs: retentionMs ?? (config.delete ? config.retentionMs : nil),
                                     retentionBytes: retentionBytes ?? (config.delete ? config.retentionBytes : nil))
    }

    private func deleteOldSegments(now: Int64, retentionMs: Int64?, retentionBytes: Int64?) throws -> Int {
        var states: [LogPlanner.SegmentState] = []
        for (i, segment) in segments.enumerated() {
            // Timestamps are only needed for deletable candidates; the active one is never deleted.
            let largest = retentionMs != nil && i < segments.count - 1 ? try segment.largestTimestamp() : Int64.max
            states.append(.init(baseOffset: segment.baseOffset, size: segment.size, largestTimestamp: largest))
        }
        let (count, _) = LogPlanner.segmentsToDelete(
            states, logStartOffset: logStartOffset, highWatermark: highWatermark, now: now,
            retentionMs: retentionMs, retentionBytes: retentionBytes)
        guard count > 0 else { return 0 }
        do {
            for segment in segments.prefix(count) { try segment.delete() }
        } catch {
            throw fail(error)
        }
        segments.removeFirst(count)
        directoryDirty = true
        logStartOffset = max(logStartOffset, segments[0].baseOffset)
        highWatermark = max(highWatermark, logStartOffset)
        recoveryPoint = max(recoveryPoint, logStartOffset)
        producerState.removeProducers(before: logStartOffset)
        if leaderEpochs.truncateFromStart(logStartOffset) { try writeLeaderEpochs() }
        // Snapshots below the first segment can no longer be used.
        for name in try fileSystem.listDirectory(directory) {
            if let (offset, suffix) = LogFileNames.parse(name), suffix == LogFileNames.snapshotSuffix,
               offset < segments[0].baseOffset {
                try fileSystem.remove(path(name))
            }
        }
        return count
    }

    /// Flushes everything (indexes included), writes a producer snapshot at the log end and releases cached
    /// handles. After `close` the object must not be used; reopen with `cleanShutdown: true`.
    ///
    /// A log opened after a clean shutdown and not written since (no append, roll, truncation, retention or
    /// cleaning) is as that shutdown left it — synced, indexes written, a producer snapshot at its end — so closing
    /// it writes nothing; otherwise a node closing 10,000 idle partitions fsyncs 50,000 files (issue 14 item 5).
    /// Kafka's close likewise flushes only past the recovery point and snapshots only a producer state that moved.
    public func close(now: Int64) throws {
        isClosed = true
        guard failure == nil else {
            cache.invalidate(prefix: directory + "/")
            return
        }
        if let opened = cleanOpenState, opened == CleanOpenState(self), !directoryDirty,
           !activeSegment.logDirty, !activeSegment.indexesDirty, !activeSegment.transactionIndexDirty,
           !activeSegment.indexFilesStale {
            cache.invalidate(prefix: directory + "/")
            return
        }
        activeSegment.active?.seal()
        try activeSegment.writePendingIndexes()
        activeSegment.indexesDirty = true
        recoveryPoint = min(recoveryPoint, activeSegment.baseOffset)
        directoryDirty = true
        try flush(upTo: logEndOffset, now: now)
        try activeSegment.sync(indexes: true)
        try writeProducerSnapshot()
        cache.invalidate(prefix: directory + "/")
    }
}
