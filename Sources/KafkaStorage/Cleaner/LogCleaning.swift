import KafkaProtocol
import NIOCore

/// Thrown when a cleaning is asked to stop (the partition is being deleted, closed or the cleaner shuts down).
public struct CleanerAborted: Error, Sendable {}

/// One cleaning pass over one log (Kafka's `Cleaner.doClean`), working from a `CleaningSnapshot` without the
/// partition lock: builds the offset map over the dirty section, then rewrites the log from its first segment up
/// to where the map ends, group by group, into `.cleaned` files, and hands each finished group to `swap` (which
/// takes the lock and calls `PartitionLog.replaceSegments`).
public struct LogCleaning {
    /// What a pass ends with.
    public struct Result: Sendable {
        /// Where the next pass starts (the new `cleaner-offset-checkpoint` entry).
        public var endOffset: Int64
        /// The earliest future delete horizon left in the cleaned part, nil when none.
        public var pendingDeleteHorizon: Int64?
        /// Whether every group was swapped in (false: the log changed under the cleaner; try again later).
        public var completed: Bool
        public var stats: CleanerStats
    }

    let snapshot: CleaningSnapshot
    let fileSystem: any FileSystem
    let now: Int64
    /// `log.cleaner.io.buffer.size`: bytes per read.
    let ioBufferSize: Int
    /// Checked before every batch; true stops the pass with `CleanerAborted`.
    let shouldStop: () -> Bool
    /// Told about every chunk of bytes read or written (the I/O throttle sleeps in it).
    let onIO: (Int64) -> Void

    public init(snapshot: CleaningSnapshot, fileSystem: any FileSystem, now: Int64, ioBufferSize: Int = 512 << 10,
                shouldStop: @escaping () -> Bool = { false }, onIO: @escaping (Int64) -> Void = { _ in }) {
        self.snapshot = snapshot
        self.fileSystem = fileSystem
        self.now = now
        self.ioBufferSize = ioBufferSize
        self.shouldStop = shouldStop
        self.onIO = onIO
    }

    private var allAborted: [AbortedTransaction] { snapshot.segments.flatMap(\.abortedTransactions) }

    /// Runs the pass over `[assessment.firstDirtyOffset, assessment.firstUncleanableOffset)` with `map` (cleared
    /// first).
    public func run(_ assessment: CleanerPlanner.Assessment, map: inout OffsetMap,
                    swap: (CleanedSegment) throws -> Bool) throws -> Result {
        var stats = CleanerStats()
        map.clear()
        stats.mapMemoryBytes = map.memoryBytes
        let uncleanable = assessment.firstUncleanableOffset
        let end = try buildOffsetMap(&map, from: assessment.firstDirtyOffset, to: uncleanable, stats: &stats)
        let count = snapshot.segments.firstIndex { $0.baseOffset >= end } ?? snapshot.segments.count
        let toClean = Array(snapshot.segments.prefix(count))
        let groups = CleanerPlanner.groups(
            toClean.map { .init(baseOffset: $0.baseOffset, size: $0.size, largestTimestamp: $0.largestTimestamp, firstBatchTimestamp: nil) },
            nextOffsets: toClean.indices.map { snapshot.nextOffset($0) }, maxBytes: snapshot.config.segmentBytes)
        var transactions = CleanedTransactions(aborted: allAborted)
        let filter = BatchFilter(map: map, now: now, deleteRetentionMs: snapshot.config.deleteRetentionMs,
                                 lastDataOffsets: snapshot.lastDataOffsets)
        var horizon: Int64?
        for group in groups {
            var groupHorizon: Int64?
            let cleaned = try cleanGroup(group, filter: filter, transactions: &transactions, uncleanable: uncleanable,
                                         horizon: &groupHorizon, stats: &stats)
            if let h = groupHorizon { horizon = min(horizon ?? h, h) }
            guard let cleaned else {
                stats.groupsUnchanged += 1
                continue
            }
            let swapped: Bool
            do { swapped = try swap(cleaned) } catch {
                removeCleanedFiles(cleaned.baseOffset)
                throw error
            }
            guard swapped else {
                removeCleanedFiles(cleaned.baseOffset)
                return Result(endOffset: assessment.firstDirtyOffset, pendingDeleteHorizon: nil, completed: false, stats: stats)
            }
            stats.segmentsSwapped += group.count
            try finishSwap()
        }
        return Result(endOffset: max(end, assessment.firstDirtyOffset), pendingDeleteHorizon: horizon, completed: true, stats: stats)
    }

    /// Fills `map` with the latest offset of every key in `[start, upperBound)`, skipping aborted and control
    /// batches; returns where the map ends (upperBound, or the offset after the last key it took when it filled).
    func buildOffsetMap(_ map: inout OffsetMap, from start: Int64, to upperBound: Int64, stats: inout CleanerStats) throws -> Int64 {
        var transactions = CleanedTransactions(aborted: allAborted)
        for (i, segment) in snapshot.segments.enumerated()
        where snapshot.nextOffset(i) > start && segment.baseOffset < upperBound {
            var reader = SegmentBatchReader(file: try fileSystem.open(segment.logPath, mode: .readOnly),
                                            end: segment.size, chunkSize: ioBufferSize)
            defer {
                stats.mapBytesRead += reader.bytesRead
                onIO(reader.bytesRead)
            }
            while let (batch, position) = try reader.next() {
                if shouldStop() { throw CleanerAborted() }
                let summary = BatchSummary(batch.header, position: position)
                if summary.baseOffset >= upperBound { return upperBound }
                if summary.isControl {
                    _ = transactions.onControlBatch(summary, marker: summary.isTransactionMarker ? MarkerInfo.read(from: batch) : nil)
                    continue
                }
                if transactions.onBatch(summary) || summary.lastOffset < start { continue }
                var iterator = try batch.records()
                while let record = try iterator.next() {
                    guard let key = record.key, record.offset >= start else { continue }
                    guard map.put(key, offset: record.offset) else { return map.latestOffset + 1 }
                    stats.mapRecords += 1
                }
            }
        }
        return upperBound
    }

    /// After a swap, off the partition lock: makes its renames durable, then removes the replaced files it
    /// renamed `.deleted` (which a reader that opened them before the swap may still be reading).
    func finishSwap() throws {
        try fileSystem.syncDirectory(snapshot.directory)
        for name in try fileSystem.listDirectory(snapshot.directory) where name.hasSuffix(LogFileNames.deletedSuffix) {
            try fileSystem.remove(FilePath.join(snapshot.directory, name))
        }
    }

    func cleanedPath(_ base: Int64, _ suffix: String) -> String {
        FilePath.join(snapshot.directory, LogFileNames.fileName(base, suffix) + LogFileNames.cleanedSuffix)
    }

    func removeCleanedFiles(_ base: Int64) {
        for suffix in LogFileNames.segmentSuffixes where fileSystem.exists(cleanedPath(base, suffix)) {
            try? fileSystem.remove(cleanedPath(base, suffix))
        }
    }

    /// Rewrites one group into `.cleaned` files (fsynced); nil when nothing in it would change.
    private func cleanGroup(
        _ group: Range<Int>, filter: BatchFilter, transactions: inout CleanedTransactions, uncleanable: Int64,
        horizon: inout Int64?, stats: inout CleanerStats
    ) throws -> CleanedSegment? {
        let base = snapshot.segments[group.lowerBound].baseOffset
        let output = try fileSystem.open(cleanedPath(base, LogFileNames.logSuffix), mode: .truncate)
        var builder = SegmentIndexBuilder(baseOffset: base, indexIntervalBytes: snapshot.config.indexIntervalBytes)
        var pending = ByteBuffer()
        var written: Int64 = 0
        var changed = false
        var aborted: [AbortedTransaction] = []
        func flushPending() throws {
            guard pending.readableBytes > 0 else { return }
            try output.write(pending, at: written)
            written += Int64(pending.readableBytes)
            stats.bytesWritten += Int64(pending.readableBytes)
            onIO(Int64(pending.readableBytes))
            pending.clear()
        }
        for i in group {
            let segment = snapshot.segments[i]
            var reader = SegmentBatchReader(file: try fileSystem.open(segment.logPath, mode: .readOnly),
                                            end: segment.size, chunkSize: ioBufferSize)
            while let (batch, _) = try reader.next() {
                if shouldStop() {
                    removeCleanedFiles(base)
                    throw CleanerAborted()
                }
                let summary = BatchSummary(batch.header, position: 0)
                var bytes: ByteBuffer? = batch.buffer
                if summary.baseOffset < uncleanable {
                    let outcome = try filter.filter(batch, summary, transactions: &transactions)
                    stats.recordsRead += Int64(outcome.recordsRead)
                    stats.recordsRetained += Int64(outcome.recordsRetained)
                    switch outcome.decision {
                    case .keep: break
                    case .drop:
                        bytes = nil
                        changed = true
                    case .replace(let rebuilt):
                        bytes = rebuilt
                        changed = true
                        stats.batchesRebuilt += 1
                    }
                    if let h = outcome.deleteHorizon, h > now { horizon = min(horizon ?? h, h) }
                    aborted += transactions.takeRetainedAborts()
                } else {
                    stats.recordsRead += Int64(summary.recordsCount)
                    stats.recordsRetained += Int64(summary.recordsCount)
                }
                guard var bytes else { continue }
                builder.add(BatchSummary(try RecordBatchHeader(bytes), position: written + Int64(pending.readableBytes)))
                pending.writeBuffer(&bytes)
                if pending.readableBytes >= ioBufferSize { try flushPending() }
            }
            stats.bytesRead += reader.bytesRead
            onIO(reader.bytesRead)
            // Markers at or past the uncleanable offset were copied as they are; so are their entries.
            aborted += segment.abortedTransactions.filter { $0.lastOffset >= uncleanable }
        }
        guard changed else {
            removeCleanedFiles(base)
            return nil
        }
        try flushPending()
        try output.sync()
        builder.seal()
        let indexes = builder.indexes
        for (suffix, bytes) in [(LogFileNames.indexSuffix, indexes.offsetIndex.bytes),
                                (LogFileNames.timeIndexSuffix, indexes.timeIndex.bytes)] {
            let file = try fileSystem.open(cleanedPath(base, suffix), mode: .truncate)
            try file.write(bytes, at: 0)
            try file.sync()
        }
        if !aborted.isEmpty {
            let file = try fileSystem.open(cleanedPath(base, LogFileNames.transactionIndexSuffix), mode: .truncate)
            try file.write(TransactionIndex.encode(aborted), at: 0)
            try file.sync()
        }
        return CleanedSegment(
            baseOffset: base,
            replaced: group.map { .init(baseOffset: snapshot.segments[$0].baseOffset, size: snapshot.segments[$0].size) },
            size: written, largestTimestamp: builder.maxTimestampSoFar.timestamp, indexes: indexes,
            abortedTransactions: aborted)
    }
}
