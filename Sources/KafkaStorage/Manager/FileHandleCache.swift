import Synchronization

/// Bounds the open file descriptors and the loaded index bytes of all partitions of a broker.
///
/// Segment `.log` files are opened through `file(_:)` and kept in an LRU of at most `maxOpenFiles` handles; an
/// evicted handle closes when its last user (an append in progress, a read region being sent) lets it go.
/// Indexes of inactive segments are loaded on first lookup and kept in a second LRU bounded by bytes. An idle
/// partition therefore costs no descriptor and no index memory, only its `PartitionLog` bookkeeping.
public final class FileHandleCache: Sendable {
    /// Loaded index contents of an inactive segment.
    public struct LoadedIndexes: Sendable {
        public var offsetIndex: OffsetIndex
        public var timeIndex: TimeIndex
    }

    struct State: Sendable {
        var files: LRUMap<String, any StorageFile>
        var indexes: LRUMap<String, LoadedIndexes>
        var opens = 0
    }

    public let fileSystem: any FileSystem
    private let state: Mutex<State>

    /// - Parameters:
    ///   - maxOpenFiles: descriptors kept open at most (beyond those in use by callers).
    ///   - maxIndexBytes: bytes of loaded inactive-segment indexes kept at most.
    public init(fileSystem: any FileSystem, maxOpenFiles: Int = 1000, maxIndexBytes: Int = 64 << 20) {
        self.fileSystem = fileSystem
        self.state = Mutex(State(
            files: LRUMap(maxCount: maxOpenFiles),
            indexes: LRUMap(maxCount: .max, maxCost: maxIndexBytes)))
    }

    /// The read-write handle for `path`, opened (not created) when not cached.
    public func file(_ path: String) throws -> any StorageFile {
        try state.withLock { state in
            if let file = state.files.get(path) { return file }
            let file = try fileSystem.open(path, mode: .readWrite)
            state.opens += 1
            state.files.set(path, file)
            return file
        }
    }

    /// Caches a handle the caller just opened (a newly created segment).
    public func insert(_ file: any StorageFile) {
        state.withLock { _ = $0.files.set(file.path, file) }
    }

    /// Cached indexes of the segment whose `.log` is `logPath`.
    public func indexes(_ logPath: String) -> LoadedIndexes? {
        state.withLock { $0.indexes.get(logPath) }
    }

    /// Caches loaded indexes.
    public func setIndexes(_ logPath: String, _ indexes: LoadedIndexes) {
        state.withLock { _ = $0.indexes.set(logPath, indexes, cost: indexes.offsetIndex.sizeInBytes + indexes.timeIndex.sizeInBytes + 64) }
    }

    /// Forgets everything cached for paths starting with `prefix` (a deleted, truncated or closed segment or
    /// partition directory).
    public func invalidate(prefix: String) {
        state.withLock { state in
            state.files.removeAll { $0.hasPrefix(prefix) }
            state.indexes.removeAll { $0.hasPrefix(prefix) }
        }
    }

    /// Handles currently cached (open descriptors held by the cache).
    public var openFileCount: Int { state.withLock { $0.files.count } }

    /// Files opened since the cache was created (cache misses).
    public var openCalls: Int { state.withLock { $0.opens } }
}
