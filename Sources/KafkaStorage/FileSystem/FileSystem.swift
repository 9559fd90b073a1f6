import NIOCore

/// How `FileSystem.open` treats an existing or missing file.
public enum FileOpenMode: Sendable, Hashable {
    /// Reads only; the file must exist.
    case readOnly
    /// Reads and writes; the file must exist.
    case readWrite
    /// Reads and writes; the file is created empty when missing.
    case create
    /// Reads and writes; the file is created empty, replacing (truncating) any existing one.
    case truncate
}

/// An open file. Positions are absolute; there is no shared cursor, so one handle can serve concurrent readers
/// (pread) while the partition's single writer appends (pwrite).
///
/// The handle closes its descriptor when the last reference goes away. That is deliberate: the file-handle cache
/// may evict a handle while a `LogReadRegion` that a network layer is still `sendfile`-ing holds it, and the
/// descriptor must outlive that transfer.
public protocol StorageFile: AnyObject, Sendable {
    /// The path the file was opened with.
    var path: String { get }
    /// The POSIX descriptor, for `sendfile`; nil for in-memory files (read the bytes with `read(at:count:)`).
    var descriptor: Int32? { get }
    /// Reads up to `count` bytes at `position`; fewer only at the end of the file.
    func read(at position: Int64, count: Int) throws -> ByteBuffer
    /// Writes all readable bytes of `bytes` at `position`, extending the file as needed.
    func write(_ bytes: ByteBuffer, at position: Int64) throws
    /// The file's size in bytes.
    func size() throws -> Int64
    /// Cuts (or zero-extends) the file to `size` bytes.
    func truncate(to size: Int64) throws
    /// fsync: makes every write and truncation so far durable.
    func sync() throws
}

extension StorageFile {
    /// Writes `bytes` at the current end of the file and returns the position they were written at. Only for files
    /// with a single writer (the size is read, then written to).
    @discardableResult
    public func append(_ bytes: ByteBuffer) throws -> Int64 {
        let end = try size()
        try write(bytes, at: end)
        return end
    }

    /// Reads the whole file.
    public func readAll() throws -> ByteBuffer {
        try read(at: 0, count: Int(try size()))
    }
}

/// The file-system operations the log needs. `PosixFileSystem` is the real one; `FaultInjectingFileSystem` keeps
/// files in memory and can lose, tear or refuse writes the way a crashing machine or a full disk does.
///
/// Paths are plain strings with `/` separators. Creating, renaming and removing files is durable only after
/// `syncDirectory` on the parent, as on Linux.
public protocol FileSystem: Sendable {
    /// Opens (or creates) a file.
    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile
    /// Whether a file or directory exists at `path`.
    func exists(_ path: String) -> Bool
    /// Whether `path` is a directory.
    func isDirectory(_ path: String) -> Bool
    /// Names (not paths) of the entries of a directory, without `.` and `..`, in no particular order.
    func listDirectory(_ path: String) throws -> [String]
    /// Creates a directory and any missing parents; succeeds when it exists.
    func createDirectory(_ path: String) throws
    /// Atomically renames `source` to `destination`, replacing it.
    func rename(_ source: String, to destination: String) throws
    /// Removes a file or an empty directory.
    func remove(_ path: String) throws
    /// fsyncs a directory, making the creation, renaming and removal of its entries durable.
    func syncDirectory(_ path: String) throws
    /// The last modification time of a file in milliseconds since the epoch.
    func modificationTime(_ path: String) throws -> Int64
    /// The size of a file in bytes, without opening it.
    func fileSize(_ path: String) throws -> Int64
}

extension FileSystem {
    /// Removes a directory and everything under it.
    public func removeRecursively(_ path: String) throws {
        if isDirectory(path) {
            for name in try listDirectory(path) { try removeRecursively(path + "/" + name) }
        }
        try remove(path)
    }

    /// Reads a whole file.
    public func readFile(_ path: String) throws -> ByteBuffer {
        try open(path, mode: .readOnly).readAll()
    }

    /// Replaces `path` with `bytes` crash-safely, as Kafka writes its checkpoints: write `<path>.tmp`, fsync it,
    /// rename it over `path`, fsync the directory. After a crash the file holds either the old or the new content.
    public func writeAtomically(_ path: String, _ bytes: ByteBuffer) throws {
        let temporary = path + ".tmp"
        let file = try open(temporary, mode: .truncate)
        try file.write(bytes, at: 0)
        try file.sync()
        try rename(temporary, to: path)
        try syncDirectory(FilePath.parent(of: path))
    }

    /// `writeAtomically` for text.
    public func writeAtomically(_ path: String, text: String) throws {
        try writeAtomically(path, ByteBuffer(string: text))
    }

    /// Reads a whole file as UTF-8 text.
    public func readText(_ path: String) throws -> String {
        let buffer = try readFile(path)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }
}

/// Small path helpers (no Foundation on the storage paths).
public enum FilePath {
    /// The directory part of `path` ("." when there is none).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `directory/name`.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
