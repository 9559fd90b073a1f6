#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The real file system, through POSIX calls (open, pread, pwrite, fsync, ftruncate, rename, unlink). Bytes move
/// between the kernel and `ByteBuffer`s directly; no Foundation types on these paths.
public struct PosixFileSystem: FileSystem {
    public init() {}

    public func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        var flags: Int32 = O_CLOEXEC
        switch mode {
        case .readOnly: flags |= O_RDONLY
        case .readWrite: flags |= O_RDWR
        case .create: flags |= O_RDWR | O_CREAT
        case .truncate: flags |= O_RDWR | O_CREAT | O_TRUNC
        }
        let fd = retryingEINTR { systemOpen(path, flags, 0o644) }
        guard fd >= 0 else { throw Self.error("open", path) }
        return PosixFile(descriptor: fd, path: path)
    }

    public func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func listDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw Self.error("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func createDirectory(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = FilePath.parent(of: path)
        if parent != path && parent != "." && parent != "/" && !isDirectory(parent) { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw Self.error("mkdir", path) }
    }

    public func rename(_ source: String, to destination: String) throws {
        guard systemRename(source, destination) == 0 else { throw Self.error("rename", source + " -> " + destination) }
    }

    public func remove(_ path: String) throws {
        if isDirectory(path) {
            guard rmdir(path) == 0 else { throw Self.error("rmdir", path) }
        } else {
            guard unlink(path) == 0 else { throw Self.error("unlink", path) }
        }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = retryingEINTR { systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw Self.error("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Self.error("fsync", path) }
    }

    public func modificationTime(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.error("stat", path) }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    public func fileSize(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.error("stat", path) }
        return Int64(info.st_size)
    }

    static func error(_ operation: String, _ path: String) -> StorageError {
        let code = errno
        if code == ENOENT { return .notFound(path) }
        return .system(operation: operation, path: path, errno: code)
    }
}

// File-scope wrappers: inside `PosixFileSystem` the names `open` and `rename` mean its own methods.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }

@inline(__always)
private func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// A POSIX file descriptor. Immutable after creation: pread/pwrite need no shared state, so the class is
/// Sendable; the descriptor closes when the last reference goes away (see `StorageFile`).
final class PosixFile: StorageFile {
    let fd: Int32
    let path: String

    init(descriptor: Int32, path: String) {
        self.fd = descriptor
        self.path = path
    }

    deinit { close(fd) }

    var descriptor: Int32? { fd }

    func read(at position: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var failure: Int32 = 0
        while buffer.readableBytes < count {
            let already = buffer.readableBytes
            var endOfFile = false
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - already) { pointer in
                let n = pread(fd, pointer.baseAddress, count - already, off_t(position) + off_t(already))
                if n < 0 {
                    if errno != EINTR { failure = errno }
                    return 0
                }
                if n == 0 { endOfFile = true }
                return n
            }
            if failure != 0 { throw StorageError.system(operation: "pread", path: path, errno: failure) }
            if endOfFile { break }
        }
        return buffer
    }

    func write(_ bytes: ByteBuffer, at position: Int64) throws {
        var failure: Int32 = 0
        bytes.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(position) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 { throw StorageError.system(operation: "pwrite", path: path, errno: failure) }
    }

    func size() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StorageError.system(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    func truncate(to size: Int64) throws {
        guard retryingEINTR({ ftruncate(fd, off_t(size)) }) == 0 else {
            throw StorageError.system(operation: "ftruncate", path: path, errno: errno)
        }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw StorageError.system(operation: "fsync", path: path, errno: errno) }
    }
}
