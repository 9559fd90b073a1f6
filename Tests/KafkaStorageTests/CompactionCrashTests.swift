import KafkaProtocol
import NIOCore
import Synchronization
import Testing
@testable import KafkaStorage

/// A file system that stops working (as a killed process would) after a given number of mutating operations:
/// writes, truncations, fsyncs, renames, removals. Wraps the fault-injecting one, whose `crash` then decides
/// what survived.
final class StoppingFileSystem: FileSystem {
    let base: FaultInjectingFileSystem
    let remaining: Mutex<Int>

    init(base: FaultInjectingFileSystem, operations: Int) {
        self.base = base
        self.remaining = Mutex(operations)
    }

    struct Stopped: Error {}

    func step() throws {
        try remaining.withLock { left in
            if left <= 0 { throw Stopped() }
            left -= 1
        }
    }

    var used: Int { remaining.withLock { $0 } }

    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        if mode == .truncate || (mode == .create && !base.exists(path)) { try step() }
        return StoppingFile(inner: try base.open(path, mode: mode), fs: self)
    }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func rename(_ source: String, to destination: String) throws {
        try step()
        try base.rename(source, to: destination)
    }
    func remove(_ path: String) throws {
        try step()
        try base.remove(path)
    }
    func syncDirectory(_ path: String) throws {
        try step()
        try base.syncDirectory(path)
    }
    func modificationTime(_ path: String) throws -> Int64 { try base.modificationTime(path) }
    func fileSize(_ path: String) throws -> Int64 { try base.fileSize(path) }
}

final class StoppingFile: StorageFile {
    let inner: any StorageFile
    let fs: StoppingFileSystem
    init(inner: any StorageFile, fs: StoppingFileSystem) {
        self.inner = inner
        self.fs = fs
    }
    var path: String { inner.path }
    var descriptor: Int32? { nil }
    func read(at position: Int64, count: Int) throws -> ByteBuffer { try inner.read(at: position, count: count) }
    func write(_ bytes: ByteBuffer, at position: Int64) throws {
        try fs.step()
        try inner.write(bytes, at: position)
    }
    func size() throws -> Int64 { try inner.size() }
    func truncate(to size: Int64) throws {
        try fs.step()
        try inner.truncate(to: size)
    }
    func sync() throws {
        try fs.step()
        try inner.sync()
    }
}

/// A cleaner stopped at every write, fsync, rename and removal, then a power cut: each group of segments the
/// pass rewrites recovers to its old or its new segment (a pass swaps group by group, as Kafka's does), never a
/// mix within a group, never a lost record.
@Suite struct CompactionCrashTests {
    /// "names": the directory keeps a random prefix of its unsynced operations (a journaling file system), so
    /// every intermediate state of a swap between two directory fsyncs is tried, not only the synced ones.
    @Test(arguments: ["lose", "prefix", "names"])
    func aCleanerStoppedAnywhereLeavesTheOldOrTheNewLog(modeName: String) throws {
        let config = compactedConfig(segmentBytes: 1_500)
        // Cleaned with larger segments: groups of several segments, so the swap replaces more than one file set.
        var cleaning = config
        cleaning.segmentBytes = 6_000
        // Reference: the records before and after one cleaning.
        func build() throws -> (FaultInjectingFileSystem, PartitionLog) {
            let fs = FaultInjectingFileSystem()
            let (_, log) = try memoryLog(config: config, fs: fs)
            var rng = SplitMix64(seed: 42)
            for i in 0..<120 {
                let key = "k\(rng.next() % 15)"
                try appendBatch(log, keyedBatch([(key, i % 9 == 8 ? nil : "v\(i)"), ("k\(i % 4)", "w\(i)")]))
            }
            log.updateHighWatermark(log.logEndOffset)
            try log.flush(now: 0)
            try log.activeSegment.sync(indexes: true)
            return (fs, log)
        }
        let (_, reference) = try build()
        let before = try storedRecords(reference)
        let segmentsBefore = reference.segmentBaseOffsets.count
        reference.config = cleaning
        _ = try cleanOnce(reference, now: 10_000)
        let after = try storedRecords(reference)
        #expect(after != before)
        // The new segments' ranges: one per group.
        let bases = reference.segmentBaseOffsets
        #expect(bases.count > 2)
        #expect(bases.count < segmentsBefore, "some group should hold several segments")
        func ranges(_ records: [StoredRecord]) -> [[StoredRecord]] {
            bases.indices.map { i in
                let end = i + 1 < bases.count ? bases[i + 1] : Int64.max
                return records.filter { $0.offset >= bases[i] && $0.offset < end }
            }
        }
        let oldRanges = ranges(before)
        let newRanges = ranges(after)
        var stopsTried = 0
        var sawNew = false
        var sawOld = false
        for stopAfter in 0..<10_000 {
            let (fs, log) = try build()
            let stopping = StoppingFileSystem(base: fs, operations: stopAfter)
            var finished = false
            do {
                // The log's own handles bypass the stopping file system; the cleaner's do not, and the swap
                // goes through a log opened on it.
                let cache = FileHandleCache(fileSystem: stopping, maxOpenFiles: 16)
                let shadow = try PartitionLog.open(directory: log.directory, topicPartition: log.topicPartition,
                                                   config: cleaning, cache: cache, cleanShutdown: true, now: 0)
                shadow.updateHighWatermark(shadow.logEndOffset)
                _ = try cleanOnce(shadow, now: 10_000)
                finished = true
            } catch is StoppingFileSystem.Stopped {
            } catch let error as StorageError {
                // A failure inside the swap puts the log in the failed state, the stop error wrapped.
                _ = error
            }
            fs.crash(modeName == "lose" ? .loseUnsynced
                     : modeName == "prefix" ? .keepRandomPrefix(seed: UInt64(stopAfter)) : .keepNamePrefix(seed: UInt64(stopAfter)))
            let recovered = try reopen(fs, config: config, clean: false)
            recovered.updateHighWatermark(recovered.logEndOffset)
            let records = try storedRecords(recovered)
            let leftovers = try fs.listDirectory(recovered.directory).filter { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") || $0.hasSuffix(".deleted") }
            #expect(leftovers.isEmpty, "stop after \(stopAfter): \(leftovers)")
            if records == after { sawNew = true }
            if records == before { sawOld = true }
            for (i, range) in ranges(records).enumerated() where range != oldRanges[i] && range != newRanges[i] {
                Issue.record("stop after \(stopAfter) (\(modeName)): segment \(bases[i]) is neither old nor new: \(range.count) records")
            }
            #expect(Set(after).isSubset(of: Set(records)), "stop after \(stopAfter): a record was lost")
            #expect(recovered.logEndOffset == reference.logEndOffset)
            stopsTried += 1
            if finished { break }
        }
        #expect(stopsTried > 10)
        #expect(sawOld && sawNew)
    }
}
