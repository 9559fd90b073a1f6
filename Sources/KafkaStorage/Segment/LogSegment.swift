import KafkaProtocol
import NIOCore

/// One segment of a partition log: the `.log` file of batches from `baseOffset` on, its offset and time indexes,
/// and its aborted transactions.
///
/// The active (last) segment keeps its indexes in memory (`active`) and writes them out when it rolls, is flushed
/// with indexes, or closes; an inactive segment holds no index in memory, its indexes are loaded into the shared
/// `FileHandleCache` on first lookup. The `.log` handle always comes from that cache. Not thread-safe: the
/// owning `PartitionLog` serialises access.
public final class LogSegment {
    public let baseOffset: Int64
    public let directory: String
    let cache: FileHandleCache
    let indexIntervalBytes: Int

    /// Size of the `.log` in bytes (what has been written to it).
    public internal(set) var size: Int64
    /// When the segment was created or (for a reopened one) last modified, in ms: `segment.ms` falls back to it
    /// when batches carry no timestamps.
    public internal(set) var created: Int64
    /// Index state while the segment is active; nil otherwise.
    var active: SegmentIndexBuilder?
    /// Aborted transactions whose markers are in this segment.
    public internal(set) var abortedTransactions: [AbortedTransaction] = []
    var persistedAbortedCount = 0
    /// Index bytes already in the index files (active segment).
    var persistedOffsetIndexBytes = 0
    var persistedTimeIndexBytes = 0
    /// Set when the files hold entries the in-memory indexes dropped (after truncation): rewrite them whole.
    var indexFilesStale = false
    /// Whether the `.log` has writes no fsync covered.
    var logDirty = false
    /// Whether index or transaction-index files have writes no fsync covered.
    var indexesDirty = false
    /// Whether `.txnindex` has writes no fsync covered.
    var transactionIndexDirty = false
    /// Largest timestamp of an inactive segment, read once from its time index.
    var cachedLargestTimestamp: Int64?

    var fileSystem: any FileSystem { cache.fileSystem }
    public var logPath: String { path(LogFileNames.logSuffix) }
    var indexPath: String { path(LogFileNames.indexSuffix) }
    var timeIndexPath: String { path(LogFileNames.timeIndexSuffix) }
    var transactionIndexPath: String { path(LogFileNames.transactionIndexSuffix) }

    func path(_ suffix: String) -> String { FilePath.join(directory, LogFileNames.fileName(baseOffset, suffix)) }

    init(directory: String, baseOffset: Int64, size: Int64, created: Int64, cache: FileHandleCache, indexIntervalBytes: Int) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.size = size
        self.created = created
        self.cache = cache
        self.indexIntervalBytes = indexIntervalBytes
    }

    /// Creates the files of a new, empty, active segment (replacing leftovers with the same name).
    static func create(
        directory: String, baseOffset: Int64, now: Int64, cache: FileHandleCache, indexIntervalBytes: Int
    ) throws -> LogSegment {
        let segment = LogSegment(directory: directory, baseOffset: baseOffset, size: 0, created: now, cache: cache,
                                 indexIntervalBytes: indexIntervalBytes)
        cache.invalidate(prefix: segment.path("."))
        let log = try cache.fileSystem.open(segment.logPath, mode: .truncate)
        cache.insert(log)
        _ = try cache.fileSystem.open(segment.indexPath, mode: .truncate)
        _ = try cache.fileSystem.open(segment.timeIndexPath, mode: .truncate)
        if cache.fileSystem.exists(segment.transactionIndexPath) { try cache.fileSystem.remove(segment.transactionIndexPath) }
        segment.active = SegmentIndexBuilder(baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes)
        segment.logDirty = true
        return segment
    }

    /// The `.log` handle.
    func logFile() throws -> any StorageFile { try cache.file(logPath) }

    // MARK: Appending

    /// Writes `records` at the end of the log and indexes its batches, whose positions are relative to `records`.
    func append(_ records: ByteBuffer, batches: [BatchSummary]) throws {
        precondition(active != nil, "append to an inactive segment")
        let start = size
        try logFile().write(records, at: start)
        size += Int64(records.readableBytes)
        logDirty = true
        for var batch in batches {
            batch.position += start
            active!.add(batch)
        }
    }

    /// Records an aborted transaction whose marker was appended to this segment; written to `.txnindex` on flush.
    func appendAbortedTransaction(_ transaction: AbortedTransaction) {
        abortedTransactions.append(transaction)
        indexesDirty = true
    }

    // MARK: Indexes

    /// The segment's indexes: the in-memory ones while active, else loaded (and cached) from the files, rebuilt
    /// from the log when a file is missing or fails the sanity check.
    func indexes() throws -> FileHandleCache.LoadedIndexes {
        if let active { return active.indexes }
        if let cached = cache.indexes(logPath) { return cached }
        let loaded: FileHandleCache.LoadedIndexes
        if let fromFiles = try? loadIndexFiles() {
            loaded = fromFiles
        } else {
            var builder = try rebuildIndexes()
            builder.seal()
            loaded = builder.indexes
            try writeIndexFiles(loaded, sync: true)
        }
        cache.setIndexes(logPath, loaded)
        return loaded
    }

    /// Reads and checks both index files; throws when either is missing or invalid.
    func loadIndexFiles() throws -> FileHandleCache.LoadedIndexes {
        let offsetIndex = try OffsetIndex(baseOffset: baseOffset, bytes: try fileSystem.readFile(indexPath))
        let timeIndex = try TimeIndex(baseOffset: baseOffset, bytes: try fileSystem.readFile(timeIndexPath))
        if let last = offsetIndex.last, last.position >= size || last.offset < baseOffset {
            throw StorageError.corrupt("offset index of \(logPath) points past the log")
        }
        return .init(offsetIndex: offsetIndex, timeIndex: timeIndex)
    }

    /// Rebuilds index state by walking the batch headers of the whole `.log`.
    func rebuildIndexes() throws -> SegmentIndexBuilder {
        var builder = SegmentIndexBuilder(baseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes)
        try SegmentScanner.forEachHeader(in: try logFile(), from: 0, to: size) { batch in
            builder.add(batch)
            return true
        }
        return builder
    }

    /// Replaces both index files with `indexes`.
    func writeIndexFiles(_ indexes: FileHandleCache.LoadedIndexes, sync: Bool) throws {
        for (path, bytes) in [(indexPath, indexes.offsetIndex.bytes), (timeIndexPath, indexes.timeIndex.bytes)] {
            let file = try fileSystem.open(path, mode: .truncate)
            try file.write(bytes, at: 0)
            if sync { try file.sync() }
        }
    }

    /// Makes the segment active again (after truncation made it the last one, or when reopening the log): index
    /// state from the files when they are sound, else rebuilt from the log.
    func activate() throws {
        guard active == nil else { return }
        var builder: SegmentIndexBuilder
        if let loaded = try? loadIndexFiles() {
            builder = SegmentIndexBuilder(offsetIndex: loaded.offsetIndex, timeIndex: loaded.timeIndex,
                                          indexIntervalBytes: indexIntervalBytes)
            // Walk what follows the last entries: the tail's batches, the largest timestamp, the next offset.
            let from = min(loaded.offsetIndex.last?.position ?? 0,
                           loaded.offsetIndex.lookup(builder.maxTimestampSoFar.offset).position)
            var tail = builder
            tail.bytesSinceLastIndexEntry = 0
            try SegmentScanner.forEachHeader(in: try logFile(), from: from, to: size) { batch in
                if batch.maxTimestamp > tail.maxTimestampSoFar.timestamp {
                    tail.maxTimestampSoFar = TimestampOffset(timestamp: batch.maxTimestamp, offset: batch.lastOffset)
                }
                tail.nextOffset = batch.nextOffset
                return true
            }
            builder = tail
            persistedOffsetIndexBytes = loaded.offsetIndex.sizeInBytes
            persistedTimeIndexBytes = loaded.timeIndex.sizeInBytes
            indexFilesStale = false
        } else {
            builder = try rebuildIndexes()
            indexFilesStale = true
        }
        if size >= Int64(RecordBatchHeader.size), builder.rollingBasedTimestamp == nil {
            let header = try RecordBatchHeader(try logFile().read(at: 0, count: RecordBatchHeader.size))
            builder.rollingBasedTimestamp = header.maxTimestamp
        }
        cache.invalidate(prefix: logPath)
        active = builder
    }

    /// Stops being the active segment: seals the time index, writes both index files (fsync deferred to the next
    /// flush), and moves the indexes to the shared cache.
    func deactivate() throws {
        guard var builder = active else { return }
        builder.seal()
        try writeIndexFiles(builder.indexes, sync: false)
        indexesDirty = true
        cachedLargestTimestamp = builder.maxTimestampSoFar.timestamp
        active = nil
        cache.setIndexes(logPath, builder.indexes)
    }

    /// Writes the active segment's new index entries (appending only what is new) and pending `.txnindex`
    /// entries.
    func writePendingIndexes() throws {
        if let builder = active {
            let pairs = [(indexPath, builder.offsetIndex.bytes, persistedOffsetIndexBytes),
                         (timeIndexPath, builder.timeIndex.bytes, persistedTimeIndexBytes)]
            for (path, bytes, persisted) in pairs where indexFilesStale || bytes.readableBytes != persisted {
                let file = try fileSystem.open(path, mode: .create)
                if indexFilesStale || bytes.readableBytes < persisted {
                    try file.truncate(to: 0)
                    try file.write(bytes, at: 0)
                } else {
                    try file.write(bytes.getSlice(at: bytes.readerIndex + persisted, length: bytes.readableBytes - persisted)!,
                                   at: Int64(persisted))
                }
                indexesDirty = true
            }
            persistedOffsetIndexBytes = builder.offsetIndex.sizeInBytes
            persistedTimeIndexBytes = builder.timeIndex.sizeInBytes
            indexFilesStale = false
        }
        try writePendingTransactionIndex()
    }

    /// Appends new aborted-transaction entries to `.txnindex` (rewriting it after a truncation).
    func writePendingTransactionIndex() throws {
        if persistedAbortedCount > abortedTransactions.count, abortedTransactions.isEmpty,
           !fileSystem.exists(transactionIndexPath) {
            persistedAbortedCount = 0
        }
        if persistedAbortedCount != abortedTransactions.count {
            let file = try fileSystem.open(transactionIndexPath, mode: .create)
            if persistedAbortedCount > abortedTransactions.count {
                try file.truncate(to: 0)
                persistedAbortedCount = 0
            }
            let fresh = Array(abortedTransactions[persistedAbortedCount...])
            try file.write(TransactionIndex.encode(fresh), at: Int64(persistedAbortedCount * AbortedTransaction.size))
            persistedAbortedCount = abortedTransactions.count
            transactionIndexDirty = true
        }
    }

    /// fsyncs the `.log` and any new aborted-transaction entries; with `indexes` also writes and fsyncs the
    /// offset and time index files (the active segment's are rebuilt by recovery anyway, so group commit skips
    /// them).
    func sync(indexes: Bool) throws {
        if logDirty {
            try logFile().sync()
            logDirty = false
        }
        if indexes {
            try writePendingIndexes()
        } else if persistedAbortedCount != abortedTransactions.count {
            try writePendingTransactionIndex()
        }
        if transactionIndexDirty {
            try fileSystem.open(transactionIndexPath, mode: .readWrite).sync()
            transactionIndexDirty = false
        }
        if indexes && indexesDirty {
            for path in [indexPath, timeIndexPath] where fileSystem.exists(path) {
                try fileSystem.open(path, mode: .readWrite).sync()
            }
            indexesDirty = false
        }
    }

    /// The segment's largest batch timestamp, or its file modification time when no batch has one (Kafka's
    /// `largestTimestamp`, what time-based retention compares).
    func largestTimestamp() throws -> Int64 {
        let timestamp: Int64
        if let active { timestamp = active.maxTimestampSoFar.timestamp } else if let cachedLargestTimestamp {
            timestamp = cachedLargestTimestamp
        } else {
            timestamp = try indexes().timeIndex.last?.timestamp ?? -1
            cachedLargestTimestamp = timestamp
        }
        return timestamp > 0 ? timestamp : try fileSystem.modificationTime(logPath)
    }

    /// Removes the segment's files, the `.log` last (an interrupted cleaner swap relies on it: see
    /// `PartitionLog.completeInterruptedSwaps`).
    func delete() throws {
        cache.invalidate(prefix: path("."))
        for suffix in LogFileNames.segmentSuffixes.reversed() where fileSystem.exists(path(suffix)) {
            try fileSystem.remove(path(suffix))
        }
    }
}
