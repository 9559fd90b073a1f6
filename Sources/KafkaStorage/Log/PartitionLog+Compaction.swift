import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// What the cleaner needs to work on this log without the lock (call under the partition lock).
    public func cleaningSnapshot() throws -> CleaningSnapshot {
        var rolled: [CleaningSnapshot.Segment] = []
        for segment in segments.dropLast() {
            var first: Int64?
            if segment.size >= Int64(RecordBatchHeader.size) {
                first = try RecordBatchHeader(try segment.logFile().read(at: 0, count: RecordBatchHeader.size)).maxTimestamp
            }
            rolled.append(.init(baseOffset: segment.baseOffset, size: segment.size, logPath: segment.logPath,
                                largestTimestamp: try segment.largestTimestamp(), firstBatchTimestamp: first,
                                abortedTransactions: segment.abortedTransactions))
        }
        // Aborted transactions whose markers are in the active segment may have data in rolled ones.
        if !rolled.isEmpty { rolled[rolled.count - 1].abortedTransactions += activeSegment.abortedTransactions }
        var lastData: [Int64: Int64] = [:]
        for (id, entry) in producerState.producers {
            if let last = entry.batches.last { lastData[id] = last.lastOffset }
        }
        return CleaningSnapshot(
            topicPartition: topicPartition, directory: directory, segments: rolled,
            activeBaseOffset: activeSegment.baseOffset, activeSize: activeSegment.size, logStartOffset: logStartOffset,
            logEndOffset: logEndOffset, lastStableOffset: lastStableOffset, highWatermark: highWatermark, lastDataOffsets: lastData, config: config)
    }

    /// Swaps a cleaned group in for the segments it replaces (Kafka's `replaceSegments`), crash-safely: the
    /// replaced segments' files are renamed `.deleted`; the `.cleaned` files (already fsynced) are renamed to
    /// `.swap`, the log's last — from then on recovery completes the swap; then the `.swap` files take the segment
    /// names, the log's last. Returns false, changing nothing, when the replaced segments are no longer
    /// in the log as they were (retention, truncation or deletion ran meanwhile).
    ///
    /// Runs under the partition lock, which appends and fetches wait for, so it only renames: no fsync and no
    /// unlink (freeing a large file's blocks can take as long as an fsync). `LogCleaning.run` fsyncs the
    /// directory and removes the `.deleted` files after the lock is let go, before the next group and the
    /// checkpoint. A crash before that fsync leaves the directory as of some prefix of these renames — a journaling
    /// file system (ext4, XFS) commits directory operations in order — and every prefix recovers to the old or the
    /// new segment (`completeInterruptedSwaps`; `CompactionCrashTests` "names" tries every prefix). Three directory fsyncs and the unlinks under this lock were what stalled produce on
    /// the partition being cleaned (`tributary bench cleaner`).
    public func replaceSegments(with cleaned: CleanedSegment) throws -> Bool {
        try ensureWritable()
        guard let first = segments.firstIndex(where: { $0.baseOffset == cleaned.baseOffset }),
              first + cleaned.replaced.count < segments.count
        else { return false }
        for (i, replaced) in cleaned.replaced.enumerated() {
            let segment = segments[first + i]
            guard segment.baseOffset == replaced.baseOffset, segment.size == replaced.size, segment.active == nil
            else { return false }
        }
        let base = cleaned.baseOffset
        func name(_ suffix: String, _ extra: String = "") -> String {
            path(LogFileNames.fileName(base, suffix) + extra)
        }
        let old = Array(segments[first..<(first + cleaned.replaced.count)])
        do {
            // The replaced files step aside first, while `.log.cleaned` still says "not committed": recovery then
            // renames them back. Once `.log.swap` exists it removes them; they no longer overlap the new segment,
            // whatever offsets its records end at.
            for segment in old {
                cache.invalidate(prefix: segment.path("."))
                for suffix in LogFileNames.segmentSuffixes.reversed() where fileSystem.exists(segment.path(suffix)) {
                    try fileSystem.rename(segment.path(suffix), to: segment.path(suffix) + LogFileNames.deletedSuffix)
                }
            }
            // Indexes first, the log last: a `.log.swap` means the whole new segment is there.
            for suffix in LogFileNames.segmentSuffixes.reversed()
            where fileSystem.exists(name(suffix, LogFileNames.cleanedSuffix)) {
                try fileSystem.rename(name(suffix, LogFileNames.cleanedSuffix), to: name(suffix, LogFileNames.swapSuffix))
            }
            // The log last: while `.log.swap` exists recovery finishes the renames.
            for suffix in LogFileNames.segmentSuffixes.reversed() where fileSystem.exists(name(suffix, LogFileNames.swapSuffix)) {
                try fileSystem.rename(name(suffix, LogFileNames.swapSuffix), to: name(suffix))
            }
        } catch {
            throw fail(error)
        }
        let segment = LogSegment(directory: directory, baseOffset: base, size: cleaned.size, created: old[0].created,
                                 cache: cache, indexIntervalBytes: config.indexIntervalBytes)
        segment.abortedTransactions = cleaned.abortedTransactions
        segment.persistedAbortedCount = cleaned.abortedTransactions.count
        segment.cachedLargestTimestamp = cleaned.largestTimestamp
        cache.invalidate(prefix: segment.path("."))
        cache.setIndexes(segment.logPath, cleaned.indexes)
        segments.replaceSubrange(first..<(first + old.count), with: [segment])
        return true
    }
}
