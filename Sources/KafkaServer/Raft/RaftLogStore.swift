import Foundation
import KafkaProtocol
import KafkaRaft
import KafkaStorage
import NIOCore

/// A snapshot file held by the store: its id and the file's bytes (served by FetchSnapshot, loaded by the state
/// machine).
public struct RaftSnapshot: Sendable, Hashable {
    public var id: SnapshotId
    public var bytes: ByteBuffer

    public init(id: SnapshotId, bytes: ByteBuffer) {
        self.id = id
        self.bytes = bytes
    }
}

/// What a node's disk says after a restart: the input of `RaftNode.init`.
public struct RaftRestoredState: Sendable {
    /// `quorum-state`, nil when the file does not exist yet (a freshly formatted node).
    public var election: ElectionState?
    /// The log after the latest snapshot, as the segments hold it.
    public var log: RaftLog
    public var snapshot: RaftSnapshot?
}

/// The metadata log of one node on disk, laid out as Kafka 3.7 lays out `<metadata.log.dir>/__cluster_metadata-0/`:
/// segments (`.log`, `.index`, `.timeindex`, producer `.snapshot`) through KafkaStorage's `PartitionLog`,
/// `leader-epoch-checkpoint` (kept by `PartitionLog` from the batches' partition leader epochs),
/// `partition.metadata` (the metadata topic id), `quorum-state` and the KIP-630 snapshots
/// `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`.
///
/// Synchronous and not thread-safe; blocking file I/O. `RaftDisk` runs it on a dedicated thread.
final class RaftLogStore {
    @Sendable static func systemWallClock() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static let directoryName = "\(RaftConfig.topicName)-\(RaftConfig.partition)"
    static let partialSnapshotSuffix = ".checkpoint.part"

    let directory: String
    let fileSystem: any FileSystem
    let voters: [Int32]
    let log: PartitionLog
    /// Milliseconds since the epoch, for what `PartitionLog` stamps and compares with file times (`segment.ms`,
    /// the time index): wall-clock time as in Kafka. Raft timing never uses it.
    let wallClock: @Sendable () -> Int64
    private var now: Int64 { wallClock() }
    /// The newest snapshot on disk (the one the core serves and restarts from).
    private(set) var snapshot: RaftSnapshot?

    /// Opens (creating when missing) `<logDir>/__cluster_metadata-0`. Segments are always recovered (checked batch
    /// by batch from the recovery point, a torn tail cut off) and then fsynced, so that everything the restored
    /// log holds is durable, as the core assumes of a restarted node's log.
    init(logDir: String, voters: [Int32], logConfig: LogConfig = LogConfig(), fileSystem: any FileSystem = PosixFileSystem(),
         wallClock: @escaping @Sendable () -> Int64 = RaftLogStore.systemWallClock) throws {
        self.fileSystem = fileSystem
        self.wallClock = wallClock
        let now = wallClock()
        self.voters = voters
        if !fileSystem.isDirectory(logDir) { try fileSystem.createDirectory(logDir) }
        directory = FilePath.join(logDir, Self.directoryName)
        let existed = fileSystem.isDirectory(directory)
        if existed {
            // A snapshot whose write a crash interrupted (Kafka names them `.checkpoint.part`).
            for name in try fileSystem.listDirectory(directory) where name.hasSuffix(Self.partialSnapshotSuffix) {
                try fileSystem.remove(FilePath.join(directory, name))
            }
        }
        let cache = FileHandleCache(fileSystem: fileSystem)
        log = try PartitionLog.open(directory: directory, topicPartition: TopicPartition(RaftConfig.topicName, RaftConfig.partition),
                                    config: logConfig, cache: cache, cleanShutdown: false, now: now)
        try log.setTopicId(RaftConfig.topicId)
        try log.flush(now: now)
        snapshot = try Self.latestSnapshot(in: directory, fileSystem: fileSystem)
    }

    // MARK: - Restart

    /// The core's state as the files hold it: `RaftLog(after: latest snapshot, batches:)` from the segments, and
    /// `quorum-state`. Segments Kafka keeps behind the latest snapshot (until `metadata.max.retention.*`) are not
    /// part of the core's log, which starts at the snapshot's end.
    func restore() throws -> RaftRestoredState {
        let election = try readElectionState()
        let start = snapshot?.id.endOffset ?? 0
        if log.logStartOffset > start {
            throw RaftStoreError.gapAfterSnapshot(snapshot: start, logStart: log.logStartOffset)
        }
        if log.logEndOffset < start {
            // The segments end before the snapshot (a follower that installed it and stopped before the log was
            // reset): the log restarts empty at the snapshot's end.
            try log.truncateFully(startAt: start, now: now)
        }
        var batches: [LogBatch] = []
        var offset = start
        while offset < log.logEndOffset {
            // A region may end inside a batch (the size limit); `parse` drops that torn tail and the next read
            // starts at it.
            guard let region = try log.read(from: offset, maxBytes: 1 << 20, minOneBatch: true).region else { break }
            var advanced = false
            for batch in try LogBatch.parse(try region.bytes()) where batch.endOffset > offset {
                guard batch.baseOffset >= offset else {
                    throw RaftStoreError.snapshotInsideBatch(snapshot: offset, batchBase: batch.baseOffset)
                }
                if let epoch = snapshot?.id.epoch, batch.epoch < epoch {
                    // Older than the snapshot's epoch: a stale suffix the snapshot superseded (a download that a
                    // crash interrupted before the log was reset). It cannot be part of the log after it.
                    try log.truncate(to: batch.baseOffset, now: now)
                    try log.flush(now: now)
                    break
                }
                batches.append(batch)
                offset = batch.endOffset
                advanced = true
            }
            if !advanced { break }
        }
        return RaftRestoredState(election: election, log: try RaftLog(after: snapshot?.id, batches: batches), snapshot: snapshot)
    }

    func readElectionState() throws -> ElectionState? {
        let path = FilePath.join(directory, QuorumStateFile.fileName)
        guard fileSystem.exists(path) else { return nil }
        let bytes = try fileSystem.readFile(path)
        return try QuorumStateFile.decode(Array(bytes.readableBytesView))
    }

    static func latestSnapshot(in directory: String, fileSystem: any FileSystem) throws -> RaftSnapshot? {
        let ids = try snapshotIds(in: directory, fileSystem: fileSystem)
        guard let id = ids.last else { return nil }
        return RaftSnapshot(id: id, bytes: try fileSystem.readFile(FilePath.join(directory, SnapshotFile.fileName(id))))
    }

    /// The snapshot ids of the `.checkpoint` files, oldest first (by end offset, then epoch).
    static func snapshotIds(in directory: String, fileSystem: any FileSystem) throws -> [SnapshotId] {
        try fileSystem.listDirectory(directory).compactMap { name in
            name.hasSuffix(".checkpoint") ? try? SnapshotFile.parseName(name) : nil
        }.sorted { ($0.endOffset, $0.epoch) < ($1.endOffset, $1.epoch) }
    }

    // MARK: - The core's actions

    /// `.persistElectionState`: `quorum-state` written atomically (write, fsync, rename, fsync the directory).
    func persist(_ state: ElectionState) throws {
        let bytes = QuorumStateFile.encode(state, voters: voters)
        try fileSystem.writeAtomically(FilePath.join(directory, QuorumStateFile.fileName), ByteBuffer(bytes: bytes))
    }

    /// `.appendToLog`: the batch keeps its offsets and epoch (the core assigned them), not yet durable.
    func append(_ batch: LogBatch) throws {
        var bytes = batch.bytes
        try log.append(&bytes, origin: .replication, now: now)
    }

    /// `.truncateLog`: a follower's diverging suffix goes (segments cut, later ones deleted, epochs truncated).
    func truncate(to offset: Int64) throws {
        try log.truncate(to: offset, now: now)
    }

    /// `.flushLog`: fsync the segments up to `upTo`.
    func flush(upTo offset: Int64) throws {
        try log.flush(upTo: offset, now: now)
    }

    /// Writes a snapshot file as Kafka does: `<name>.checkpoint.part`, fsync, rename, fsync the directory.
    func writeSnapshot(_ snapshot: RaftSnapshot) throws {
        let path = FilePath.join(directory, SnapshotFile.fileName(snapshot.id))
        let partial = path.dropLast(".checkpoint".count) + Self.partialSnapshotSuffix
        let file = try fileSystem.open(String(partial), mode: .truncate)
        try file.write(snapshot.bytes, at: 0)
        try file.sync()
        try fileSystem.rename(String(partial), to: path)
        try fileSystem.syncDirectory(directory)
        if self.snapshot.map({ ($0.id.endOffset, $0.id.epoch) < (snapshot.id.endOffset, snapshot.id.epoch) }) ?? true {
            self.snapshot = snapshot
        }
    }

    /// `.deleteLogBefore`: the snapshot covers the prefix, so whole segments below its end go, and older snapshot
    /// files with them (the core serves only the latest).
    func deleteLog(before id: SnapshotId) throws {
        log.updateHighWatermark(id.endOffset)
        if id.endOffset > log.logStartOffset, id.endOffset <= log.logEndOffset {
            try log.deleteRecords(before: id.endOffset, now: now)
        }
        try deleteSnapshots(olderThan: id)
    }

    /// `.installSnapshot`: store the leader's snapshot and restart the log empty at its end.
    func install(_ snapshot: RaftSnapshot) throws {
        try writeSnapshot(snapshot)
        try log.truncateFully(startAt: snapshot.id.endOffset, now: now)
        try log.flush(now: now)
        try deleteSnapshots(olderThan: snapshot.id)
    }

    private func deleteSnapshots(olderThan id: SnapshotId) throws {
        for old in try Self.snapshotIds(in: directory, fileSystem: fileSystem) where (old.endOffset, old.epoch) < (id.endOffset, id.epoch) {
            try fileSystem.remove(FilePath.join(directory, SnapshotFile.fileName(old)))
        }
    }

    /// A clean shutdown: indexes and producer snapshot written, everything fsynced.
    func close() throws {
        try log.close(now: now)
    }
}

/// What the store refuses to restore from.
public enum RaftStoreError: Error, Equatable, CustomStringConvertible {
    case snapshotInsideBatch(snapshot: Int64, batchBase: Int64)
    case gapAfterSnapshot(snapshot: Int64, logStart: Int64)

    public var description: String {
        switch self {
        case .snapshotInsideBatch(let s, let b):
            return "the latest snapshot ends at offset \(s), but the log's next batch starts at \(b)"
        case .gapAfterSnapshot(let s, let l):
            return "the log starts at offset \(l), after the end of the latest snapshot (\(s)): offsets are missing"
        }
    }
}
