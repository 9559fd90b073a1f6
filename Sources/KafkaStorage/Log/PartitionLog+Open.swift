import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// What the log directory remembers about a partition (its entries in the per-directory checkpoints).
    public struct Checkpoints: Sendable, Hashable {
        public var recoveryPoint: Int64?
        public var logStartOffset: Int64?
        public var highWatermark: Int64?
        /// `cleaner-offset-checkpoint`: set once the cleaner has worked on the log.
        public var cleanerOffset: Int64?

        public init(recoveryPoint: Int64? = nil, logStartOffset: Int64? = nil, highWatermark: Int64? = nil,
                    cleanerOffset: Int64? = nil) {
            self.recoveryPoint = recoveryPoint
            self.logStartOffset = logStartOffset
            self.highWatermark = highWatermark
            self.cleanerOffset = cleanerOffset
        }
    }

    /// Opens (creating when missing) the partition log in `directory`.
    ///
    /// After a clean shutdown (`cleanShutdown`) only the active segment's tail is read. Otherwise every segment
    /// from the one holding the recovery point on is re-read and checked batch by batch (framing, CRC-32C,
    /// offsets); the log is truncated at the first bad or partial batch and later segments are deleted, and their
    /// indexes are rebuilt. Index files that are missing or fail the sanity check are rebuilt from the log
    /// whenever they are first needed. Producer state comes from the newest usable snapshot plus the batches
    /// after it.
    public static func open(
        directory: String, topicPartition: TopicPartition, config: LogConfig = LogConfig(), cache: FileHandleCache,
        checkpoints: Checkpoints = Checkpoints(), cleanShutdown: Bool, now: Int64
    ) throws -> PartitionLog {
        let fs = cache.fileSystem
        if !fs.isDirectory(directory) {
            try fs.createDirectory(directory)
            try fs.syncDirectory(FilePath.parent(of: directory))
        }
        try completeInterruptedSwaps(directory: directory, fileSystem: fs)
        var logOffsets: [Int64] = []
        var snapshotOffsets: [Int64] = []
        var others: [(Int64, String)] = []
        for name in try fs.listDirectory(directory) {
            if LogFileNames.transientSuffixes.contains(where: { name.hasSuffix($0) }) {
                try fs.remove(FilePath.join(directory, name))
                continue
            }
            guard let (offset, suffix) = LogFileNames.parse(name) else { continue }
            switch suffix {
            case LogFileNames.logSuffix: logOffsets.append(offset)
            case LogFileNames.snapshotSuffix: snapshotOffsets.append(offset)
            default: others.append((offset, name))
            }
        }
        logOffsets.sort()
        // Index files without their log are leftovers of a deletion a crash interrupted.
        let logSet = Set(logOffsets)
        for (offset, name) in others where !logSet.contains(offset) { try fs.remove(FilePath.join(directory, name)) }

        var segments: [LogSegment] = []
        for offset in logOffsets {
            let segment = LogSegment(directory: directory, baseOffset: offset, size: 0, created: now, cache: cache,
                                     indexIntervalBytes: config.indexIntervalBytes)
            segment.size = try fs.fileSize(segment.logPath)
            segment.created = (try? fs.modificationTime(segment.logPath)) ?? now
            if fs.exists(segment.transactionIndexPath),
               let entries = try? TransactionIndex.parse(try fs.readFile(segment.transactionIndexPath)) {
                segment.abortedTransactions = entries
                segment.persistedAbortedCount = entries.count
            }
            segments.append(segment)
        }
        var created = false
        if segments.isEmpty {
            let start = checkpoints.logStartOffset ?? 0
            segments.append(try LogSegment.create(directory: directory, baseOffset: start, now: now, cache: cache,
                                                  indexIntervalBytes: config.indexIntervalBytes))
            created = true
        }
        let log = PartitionLog(topicPartition: topicPartition, directory: directory, config: config, cache: cache,
                               segments: segments, logStartOffset: segments[0].baseOffset,
                               logEndOffset: segments[0].baseOffset, now: now)
        if created { log.directoryDirty = true }
        // Cleaned segments end where their last kept batch ends: gaps between segments are expected there.
        log.mayHaveGaps = config.compact || checkpoints.cleanerOffset != nil
        try log.load(checkpoints: checkpoints, cleanShutdown: cleanShutdown, snapshotOffsets: snapshotOffsets.sorted())
        return log
    }

    private func load(checkpoints: Checkpoints, cleanShutdown: Bool, snapshotOffsets: [Int64]) throws {
        // Where recovery starts: the segment holding the recovery point (everything when unknown).
        var recoverFrom: Int? = nil
        if !cleanShutdown {
            let point = checkpoints.recoveryPoint ?? segments[0].baseOffset
            recoverFrom = segmentIndex(for: point) ?? 0
        }
        let replayUpTo = recoverFrom.map { segments[$0].baseOffset }
        // Producer state from the newest snapshot not beyond where the replay must stop.
        var usable = snapshotOffsets
        if let replayUpTo { usable = usable.filter { $0 <= replayUpTo } }
        producerState = ProducerStateTable()
        producerState.mapEndOffset = segments[0].baseOffset
        var loadedSnapshot: Int64?
        for offset in usable.reversed() {
            if let bytes = try? fileSystem.readFile(path(LogFileNames.fileName(offset, LogFileNames.snapshotSuffix))),
               let table = try? ProducerSnapshotFile.decode(bytes, offset: offset) {
                producerState = table
                loadedSnapshot = offset
                break
            }
        }
        if let recoverFrom {
            try replayProducerState(upTo: segments[recoverFrom].baseOffset)
            try recover(from: recoverFrom)
        } else {
            try activeSegment.activate()
            logEndOffset = activeSegment.active?.nextOffset ?? activeSegment.baseOffset
            try replayProducerState(upTo: logEndOffset)
        }
        logEndOffset = activeSegment.active?.nextOffset ?? activeSegment.baseOffset
        // Snapshots past the end describe data that is gone.
        for offset in snapshotOffsets where offset > logEndOffset {
            try? fileSystem.remove(path(LogFileNames.fileName(offset, LogFileNames.snapshotSuffix)))
        }
        logStartOffset = min(max(checkpoints.logStartOffset ?? segments[0].baseOffset, segments[0].baseOffset), logEndOffset)
        highWatermark = min(max(checkpoints.highWatermark ?? logStartOffset, logStartOffset), logEndOffset)
        recoveryPoint = logEndOffset
        if fileSystem.exists(path(LeaderEpochCache.fileName)),
           let cache = try? LeaderEpochCache(text: try fileSystem.readText(path(LeaderEpochCache.fileName))) {
            leaderEpochs = cache
            // Entries at or after the end name epochs nothing was appended in; the file keeps them until the next
            // append writes it (a reopen drops them again meanwhile).
            if leaderEpochs.truncateFromEnd(logEndOffset) { leaderEpochsDeferred = true }
        }
        if fileSystem.exists(path(PartitionMetadataFile.fileName)) {
            topicId = try? PartitionMetadataFile.parse(try fileSystem.readText(path(PartitionMetadataFile.fileName)))
        }
        if recoverFrom != nil {
            // Make what recovery kept durable before the new recovery point is trusted, and remember the state.
            for segment in segments { try segment.sync(indexes: segment.active == nil) }
            try activeSegment.sync(indexes: true)
            if directoryDirty { try fileSystem.syncDirectory(directory) }
            directoryDirty = false
            if logEndOffset > segments[0].baseOffset { try writeProducerSnapshot() }
        } else if loadedSnapshot == logEndOffset, !directoryDirty {
            cleanOpenState = CleanOpenState(self)
        }
    }

    /// Feeds producer state every batch from its map end offset up to `end`, reading headers only (and the one
    /// record of each transaction marker).
    func replayProducerState(upTo end: Int64) throws {
        let from = max(producerState.mapEndOffset, segments[0].baseOffset)
        guard from < end, let first = segmentIndex(for: from) else { return }
        for segment in segments[first...] where segment.baseOffset < end {
            let file = try segment.logFile()
            let start = try segment.indexes().offsetIndex.lookup(from).position
            try SegmentScanner.forEachHeader(in: file, from: start, to: segment.size) { batch in
                guard batch.baseOffset < end else { return false }
                guard batch.lastOffset >= from else { return true }
                var marker: MarkerInfo?
                if batch.isTransactionMarker {
                    marker = MarkerInfo.read(from: try RecordBatch(try file.read(at: batch.position, count: batch.size)))
                }
                producerState.apply(batch, marker: marker)
                return true
            }
        }
        producerState.mapEndOffset = max(producerState.mapEndOffset, end)
    }

    /// Re-reads and checks segments from index `first` on, truncating at the first invalid batch.
    private func recover(from first: Int) throws {
        var report = RecoveryReport()
        defer {
            report.logEndOffset = activeSegment.active?.nextOffset ?? activeSegment.baseOffset
            recovery = report
        }
        var index = first
        while index < segments.count {
            let segment = segments[index]
            var builder = SegmentIndexBuilder(baseOffset: segment.baseOffset, indexIntervalBytes: config.indexIntervalBytes)
            var aborted: [AbortedTransaction] = []
            let replayFrom = producerState.mapEndOffset
            let validation = try SegmentScanner.validate(try segment.logFile(), baseOffset: segment.baseOffset) { batch, bytes in
                builder.add(batch)
                guard batch.baseOffset >= replayFrom else { return }
                let marker = batch.isTransactionMarker ? MarkerInfo.read(from: bytes) : nil
                if let completed = producerState.apply(batch, marker: marker), completed.isAborted {
                    aborted.append(AbortedTransaction(
                        producerId: completed.producerId, firstOffset: completed.firstOffset,
                        lastOffset: completed.lastOffset, lastStableOffset: producerState.lastStableOffset(after: completed)))
                }
            }
            report.segmentsChecked += 1
            if validation.truncated {
                report.truncatedBytes += segment.size - validation.validBytes
                try segment.logFile().truncate(to: validation.validBytes)
                segment.size = validation.validBytes
                segment.logDirty = true
            }
            // The txnindex is rebuilt when producer state covered the whole segment; otherwise keep the file's.
            if replayFrom <= segment.baseOffset {
                segment.abortedTransactions = aborted
                segment.persistedAbortedCount = Int.max
            }
            builder.bytesSinceLastIndexEntry = 0
            segment.active = builder
            segment.indexFilesStale = true
            segment.cachedLargestTimestamp = nil
            cache.invalidate(prefix: segment.path("."))
            // A segment that ends before the next one starts lost its tail (unsynced writes): whatever follows
            // the hole cannot be served either. Compacted logs are exempt: cleaning leaves such gaps.
            let endsEarly = !mayHaveGaps && index < segments.count - 1 && (builder.nextOffset ?? segment.baseOffset) < segments[index + 1].baseOffset
            if (validation.truncated || endsEarly), index < segments.count - 1 {
                // Everything after the first bad batch goes.
                for later in segments[(index + 1)...] {
                    report.truncatedBytes += later.size
                    report.segmentsDeleted += 1
                    try later.delete()
                }
                segments.removeSubrange((index + 1)...)
                directoryDirty = true
            }
            if index < segments.count - 1 {
                try segment.deactivate()
            } else {
                try segment.writePendingIndexes()
            }
            index += 1
        }
        producerState.mapEndOffset = activeSegment.active?.nextOffset ?? activeSegment.baseOffset
    }
}

extension PartitionLog {
    /// Finishes or undoes a segment swap the cleaner was doing when the process stopped (Kafka's LogLoader rules,
    /// made exact by the order `replaceSegments` keeps). `.cleaned` files are an unfinished rewrite and go. A
    /// `<base>.log.swap` is a complete replacement (renamed from `.cleaned` last, after the replaced files were set
    /// aside as `.deleted`): every other segment whose base offset falls in its range `[base, end)` is deleted, and
    /// so are `<base>`'s own files while the old `<base>.log` is still there (once it is gone, the files with normal names are the new ones
    /// already renamed); then the `.swap` files take the normal names. An index `.swap` without a `.log.swap`
    /// is from before that point (the log is renamed last) and goes.
    static func completeInterruptedSwaps(directory: String, fileSystem fs: any FileSystem) throws {
        var names = try fs.listDirectory(directory)
        // Replaced files the cleaner set aside (`.deleted`) before its swap was committed (a `.log.cleaned`, no
        // `.log.swap`) are the log's: they take their names back. Otherwise the swap went through and open
        // removes them with the other transient files.
        let logSwap = LogFileNames.logSuffix + LogFileNames.swapSuffix
        if names.contains(where: { $0.hasSuffix(LogFileNames.logSuffix + LogFileNames.cleanedSuffix) }),
           !names.contains(where: { $0.hasSuffix(logSwap) }) {
            for name in names where name.hasSuffix(LogFileNames.deletedSuffix) {
                try fs.rename(FilePath.join(directory, name),
                              to: FilePath.join(directory, String(name.dropLast(LogFileNames.deletedSuffix.count))))
            }
            names = try fs.listDirectory(directory)
        }
        let cleaned = names.filter { $0.hasSuffix(LogFileNames.cleanedSuffix) }
        for name in cleaned { try fs.remove(FilePath.join(directory, name)) }
        let swaps = names.filter { $0.hasSuffix(LogFileNames.swapSuffix) }
        guard !swaps.isEmpty else {
            if !cleaned.isEmpty { try fs.syncDirectory(directory) }
            return
        }
        var completing = Set<Int64>()
        for name in swaps where name.hasSuffix(logSwap) {
            guard let (base, _) = LogFileNames.parse(name) else { continue }
            let file = try fs.open(FilePath.join(directory, name), mode: .readOnly)
            var end = base + 1
            try SegmentScanner.forEachHeader(in: file, from: 0, to: try file.size()) { batch in
                end = max(end, batch.nextOffset)
                return true
            }
            let oldLogPresent = names.contains(LogFileNames.fileName(base, LogFileNames.logSuffix))
            for other in names {
                guard let (offset, suffix) = LogFileNames.parse(other), offset >= base, offset < end,
                      LogFileNames.segmentSuffixes.contains(suffix), offset != base || oldLogPresent else { continue }
                try fs.remove(FilePath.join(directory, other))
            }
            completing.insert(base)
        }
        if !completing.isEmpty { try fs.syncDirectory(directory) }
        // Indexes before the log, as replaceSegments renames them.
        for name in swaps.sorted(by: { !$0.hasSuffix(logSwap) && $1.hasSuffix(logSwap) }) {
            if let (base, _) = LogFileNames.parse(name), completing.contains(base) {
                try fs.rename(FilePath.join(directory, name),
                              to: FilePath.join(directory, String(name.dropLast(LogFileNames.swapSuffix.count))))
            } else {
                try fs.remove(FilePath.join(directory, name))
            }
        }
        try fs.syncDirectory(directory)
    }
}
