import NIOCore
import Synchronization

/// An in-memory file system for tests that models what survives a crash.
///
/// Every file keeps two versions: what a reader sees now, and what is durable (what an fsync covered). `crash()`
/// throws away whatever is not durable, like a power cut, optionally keeping a torn prefix of the last write.
/// Names follow Linux: creating, renaming or removing a file is durable only after `syncDirectory` of its parent
/// (a new file whose directory was never synced disappears in a crash). Directories themselves are durable as
/// soon as they are created (a simplification: the log code syncs parents anyway).
///
/// Faults on demand: `failNextFsync()` makes the next fsync (file or directory) throw EIO without making anything
/// durable; `diskFull(afterBytes:)` lets that many more bytes be written, then writes fail with ENOSPC after
/// writing the part that fit (as a short `pwrite` followed by ENOSPC would).
public final class FaultInjectingFileSystem: FileSystem {
    /// What `crash` keeps of the writes that no fsync covered.
    public enum CrashMode: Sendable, Hashable {
        /// Nothing: every file goes back to its durable content.
        case loseUnsynced
        /// Per file, a random prefix (possibly empty) of the last unsynced write survives on top of the durable
        /// content; earlier unsynced writes are lost (so a gap before it reads as zeros).
        case tearLastWrite(seed: UInt64)
        /// Per file, the unsynced writes and truncations survive in order up to a random point, the one at that
        /// point torn at a random length: the page cache was partly written back when the power went.
        case keepRandomPrefix(seed: UInt64)
        /// File contents as `keepRandomPrefix`; directory entries: the durable ones plus a random prefix, in the
        /// order they were made, of the creations, renames and removals no directory fsync covered — what a
        /// journaling file system (ext4, XFS) leaves, committing metadata operations in order.
        case keepNamePrefix(seed: UInt64)
    }

    /// A directory operation not yet made durable by a directory fsync (`keepNamePrefix`).
    enum NameOp {
        case link(path: String, inode: Int)
        case unlink(path: String)
        /// Atomic, as rename(2) is.
        case rename(source: String, destination: String, inode: Int)
    }

    enum PendingOp {
        case write(position: Int, bytes: [UInt8])
        case truncate(Int)
    }

    struct Inode {
        var data: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [PendingOp] = []
        var modified: Int64 = 0
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var names: [String: Int] = [:]
        var durableNames: [String: Int] = [:]
        /// Directory operations since their directory's last fsync, in order.
        var pendingNames: [NameOp] = []
        var directories: Set<String> = ["/"]
        var nextInode = 1
        var generation = 0
        var failNextFsync = false
        var spaceLeft: Int?
        var nowMs: Int64 = 0
        var fsyncs = 0
    }

    let state = Mutex(State())

    public init() {}

    // MARK: Faults

    /// Simulates a power cut: every file reverts to its durable content (see `CrashMode`), every name to its
    /// durable directory entry. Handles opened before the crash fail from then on.
    public func crash(_ mode: CrashMode = .loseUnsynced) {
        state.withLock { state in
            var random: SplitMix64? = switch mode {
            case .loseUnsynced: nil
            case .tearLastWrite(let seed), .keepRandomPrefix(let seed), .keepNamePrefix(let seed): SplitMix64(seed: seed)
            }
            for id in state.inodes.keys.sorted() {
                var inode = state.inodes[id]!
                var survived = inode.durable
                switch mode {
                case .loseUnsynced:
                    break
                case .tearLastWrite:
                    if let last = inode.pending.lastIndex(where: { if case .write = $0 { true } else { false } }),
                       case .write(let position, let bytes) = inode.pending[last], !bytes.isEmpty {
                        let keep = Int(random!.next() % UInt64(bytes.count))
                        Self.apply(.write(position: position, bytes: Array(bytes.prefix(keep))), to: &survived)
                    }
                case .keepRandomPrefix, .keepNamePrefix:
                    let count = Int(random!.next() % UInt64(inode.pending.count + 1))
                    for op in inode.pending.prefix(count) { Self.apply(op, to: &survived) }
                    if count < inode.pending.count, case .write(let position, let bytes) = inode.pending[count],
                       !bytes.isEmpty {
                        let keep = Int(random!.next() % UInt64(bytes.count))
                        Self.apply(.write(position: position, bytes: Array(bytes.prefix(keep))), to: &survived)
                    }
                }
                inode.data = survived
                inode.durable = survived
                inode.pending = []
                state.inodes[id] = inode
            }
            state.names = state.durableNames
            if case .keepNamePrefix = mode {
                let count = Int(random!.next() % UInt64(state.pendingNames.count + 1))
                for op in state.pendingNames.prefix(count) {
                    switch op {
                    case .link(let path, let inode): state.names[path] = inode
                    case .unlink(let path): state.names.removeValue(forKey: path)
                    case .rename(let source, let destination, let inode):
                        state.names.removeValue(forKey: source)
                        state.names[destination] = inode
                    }
                }
            }
            state.pendingNames = []
            state.durableNames = state.names
            let live = Set(state.names.values)
            state.inodes = state.inodes.filter { live.contains($0.key) }
            state.generation += 1
        }
    }

    /// The next fsync of a file or directory fails with EIO and makes nothing durable.
    public func failNextFsync() { state.withLock { $0.failNextFsync = true } }

    /// After `bytes` more bytes have been written, writes fail with ENOSPC; nil makes the disk unlimited again.
    public func diskFull(afterBytes bytes: Int?) { state.withLock { $0.spaceLeft = bytes } }

    /// The clock used for modification times, in milliseconds.
    public func setTime(_ milliseconds: Int64) { state.withLock { $0.nowMs = milliseconds } }

    /// How many fsyncs (files and directories) succeeded so far.
    public var fsyncCount: Int { state.withLock { $0.fsyncs } }

    /// The bytes a reader sees now, nil when there is no such file.
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { state in state.names[path].map { state.inodes[$0]!.data } }
    }

    /// The bytes that would survive `crash(.loseUnsynced)` under the current name.
    public func durableContents(of path: String) -> [UInt8]? {
        state.withLock { state in state.durableNames[path].flatMap { state.inodes[$0]?.durable } }
    }

    /// Overwrites bytes of a file, durably (bit rot or a test's corruption); extends the file when needed.
    public func corrupt(_ path: String, at position: Int, with bytes: [UInt8]) {
        state.withLock { state in
            guard let id = state.names[path] else { return }
            Self.apply(.write(position: position, bytes: bytes), to: &state.inodes[id]!.data)
            Self.apply(.write(position: position, bytes: bytes), to: &state.inodes[id]!.durable)
        }
    }

    static func apply(_ op: PendingOp, to data: inout [UInt8]) {
        switch op {
        case .write(let position, let bytes):
            if data.count < position + bytes.count {
                data.append(contentsOf: repeatElement(0, count: position + bytes.count - data.count))
            }
            data.replaceSubrange(position ..< position + bytes.count, with: bytes)
        case .truncate(let size):
            if size < data.count { data.removeLast(data.count - size) } else {
                data.append(contentsOf: repeatElement(0, count: size - data.count))
            }
        }
    }

    // MARK: FileSystem

    public func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        try state.withLock { state in
            if let id = state.names[path] {
                if mode == .truncate {
                    state.inodes[id]!.data = []
                    state.inodes[id]!.pending.append(.truncate(0))
                }
                return MemoryFile(fs: self, inode: id, path: path, writable: mode != .readOnly, generation: state.generation)
            }
            guard mode == .create || mode == .truncate else { throw StorageError.notFound(path) }
            guard state.directories.contains(FilePath.parent(of: path)) else { throw StorageError.notFound(FilePath.parent(of: path)) }
            let id = state.nextInode
            state.nextInode += 1
            state.inodes[id] = Inode(modified: state.nowMs)
            state.names[path] = id
            state.pendingNames.append(.link(path: path, inode: id))
            return MemoryFile(fs: self, inode: id, path: path, writable: true, generation: state.generation)
        }
    }

    public func exists(_ path: String) -> Bool {
        state.withLock { $0.names[path] != nil || $0.directories.contains(path) }
    }

    public func isDirectory(_ path: String) -> Bool { state.withLock { $0.directories.contains(path) } }

    public func listDirectory(_ path: String) throws -> [String] {
        try state.withLock { state in
            guard state.directories.contains(path) else { throw StorageError.notFound(path) }
            let files = state.names.keys.filter { FilePath.parent(of: $0) == path }
            let directories = state.directories.filter { $0 != path && FilePath.parent(of: $0) == path }
            return (files + directories).map { FilePath.name(of: $0) }
        }
    }

    public func createDirectory(_ path: String) throws {
        state.withLock { state in
            var current = path
            while current != "/" && current != "." && !state.directories.contains(current) {
                state.directories.insert(current)
                current = FilePath.parent(of: current)
            }
        }
    }

    public func rename(_ source: String, to destination: String) throws {
        try state.withLock { state in
            guard let id = state.names.removeValue(forKey: source) else { throw StorageError.notFound(source) }
            state.names[destination] = id
            state.pendingNames.append(.rename(source: source, destination: destination, inode: id))
        }
    }

    public func remove(_ path: String) throws {
        try state.withLock { state in
            if state.directories.contains(path) {
                let prefix = path + "/"
                guard !state.names.keys.contains(where: { $0.hasPrefix(prefix) }),
                      !state.directories.contains(where: { $0.hasPrefix(prefix) })
                else { throw StorageError.system(operation: "rmdir", path: path, errno: 39) }
                state.directories.remove(path)
                state.durableNames = state.durableNames.filter { !$0.key.hasPrefix(prefix) }
                return
            }
            guard state.names.removeValue(forKey: path) != nil else { throw StorageError.notFound(path) }
            state.pendingNames.append(.unlink(path: path))
        }
    }

    public func syncDirectory(_ path: String) throws {
        try state.withLock { state in
            if state.failNextFsync {
                state.failNextFsync = false
                throw StorageError.system(operation: "fsync", path: path, errno: StorageError.ioErrno)
            }
            for name in Set(state.names.keys).union(state.durableNames.keys) where FilePath.parent(of: name) == path {
                state.durableNames[name] = state.names[name]
            }
            state.pendingNames.removeAll { op in
                switch op {
                case .link(let name, _), .unlink(let name), .rename(_, let name, _): FilePath.parent(of: name) == path
                }
            }
            state.fsyncs += 1
        }
    }

    public func modificationTime(_ path: String) throws -> Int64 {
        try state.withLock { state in
            guard let id = state.names[path] else { throw StorageError.notFound(path) }
            return state.inodes[id]!.modified
        }
    }

    public func fileSize(_ path: String) throws -> Int64 {
        try state.withLock { state in
            guard let id = state.names[path] else { throw StorageError.notFound(path) }
            return Int64(state.inodes[id]!.data.count)
        }
    }
}

/// A handle on an in-memory file.
final class MemoryFile: StorageFile {
    let fs: FaultInjectingFileSystem
    let inode: Int
    let path: String
    let writable: Bool
    let generation: Int

    init(fs: FaultInjectingFileSystem, inode: Int, path: String, writable: Bool, generation: Int) {
        self.fs = fs
        self.inode = inode
        self.path = path
        self.writable = writable
        self.generation = generation
    }

    var descriptor: Int32? { nil }

    private func withInode<R>(_ operation: String, write: Bool = false,
                              _ body: (inout FaultInjectingFileSystem.State, inout FaultInjectingFileSystem.Inode) throws -> R) throws -> R {
        try fs.state.withLock { state in
            guard state.generation == generation, var inode = state.inodes[self.inode] else {
                throw StorageError.system(operation: operation, path: path, errno: StorageError.ioErrno)
            }
            if write && !writable { throw StorageError.system(operation: operation, path: path, errno: 9) }
            defer { state.inodes[self.inode] = inode }
            return try body(&state, &inode)
        }
    }

    func read(at position: Int64, count: Int) throws -> ByteBuffer {
        try withInode("pread") { _, inode in
            let start = min(Int(position), inode.data.count)
            let end = min(start + count, inode.data.count)
            return ByteBuffer(bytes: inode.data[start ..< end])
        }
    }

    func write(_ bytes: ByteBuffer, at position: Int64) throws {
        try withInode("pwrite", write: true) { state, inode in
            var data = Array(bytes.readableBytesView)
            var full = false
            if let left = state.spaceLeft {
                if data.count > left {
                    data = Array(data.prefix(left))
                    full = true
                }
                state.spaceLeft = left - data.count
            }
            if !data.isEmpty {
                let op = FaultInjectingFileSystem.PendingOp.write(position: Int(position), bytes: data)
                FaultInjectingFileSystem.apply(op, to: &inode.data)
                inode.pending.append(op)
                inode.modified = state.nowMs
            }
            if full { throw StorageError.system(operation: "pwrite", path: path, errno: StorageError.noSpaceErrno) }
        }
    }

    func size() throws -> Int64 { try withInode("fstat") { _, inode in Int64(inode.data.count) } }

    func truncate(to size: Int64) throws {
        try withInode("ftruncate", write: true) { state, inode in
            let op = FaultInjectingFileSystem.PendingOp.truncate(Int(size))
            FaultInjectingFileSystem.apply(op, to: &inode.data)
            inode.pending.append(op)
            inode.modified = state.nowMs
        }
    }

    func sync() throws {
        try withInode("fsync") { state, inode in
            if state.failNextFsync {
                state.failNextFsync = false
                throw StorageError.system(operation: "fsync", path: path, errno: StorageError.ioErrno)
            }
            inode.durable = inode.data
            inode.pending = []
            state.fsyncs += 1
        }
    }
}

/// A small seeded generator (SplitMix64), so that a failing crash test replays exactly from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
