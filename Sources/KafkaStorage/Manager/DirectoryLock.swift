#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The exclusive `.lock` Kafka holds on every log directory (and the metadata directory) for as long as a node
/// runs, so that a second process on the same directories refuses to start instead of replaying and writing
/// the same files (Kafka's `FileLock` on `<dir>/.lock`, taken in `LogManager.lockLogDirs`).
///
/// Taken with an open-file-description lock (`F_OFD_SETLK`): like Java's `FileChannel.tryLock`, it conflicts with
/// another process's POSIX record lock on the file, so a Kafka JVM and Tributary exclude each other too; unlike a
/// classic POSIX lock it also conflicts within one process and is not dropped when some other descriptor of the
/// file is closed. The kernel releases it when the process dies, so a kill -9 never leaves a stale lock.
public final class DirectoryLocks: Sendable {
    /// Kafka's lock file name.
    public static let fileName = ".lock"

    private let held: Mutex<[(directory: String, descriptor: Int32)]>

    /// The directories locked, in the order given.
    public let directories: [String]

    private init(held: [(directory: String, descriptor: Int32)]) {
        self.directories = held.map(\.directory)
        self.held = Mutex(held)
    }

    /// Locks every directory in `directories` (duplicates once), creating a directory that does not exist yet.
    /// Throws `DirectoryLockError` naming the first directory another process holds; nothing stays locked then.
    public static func acquire(_ directories: [String]) throws -> DirectoryLocks {
        var seen = Set<String>()
        var held: [(directory: String, descriptor: Int32)] = []
        do {
            for dir in directories where seen.insert(dir).inserted {
                held.append((dir, try lock(dir)))
            }
        } catch {
            for h in held { _ = close(h.descriptor) }
            throw error
        }
        return DirectoryLocks(held: held)
    }

    /// Releases every lock (idempotent). The `.lock` files stay, as Kafka leaves them.
    public func release() {
        let descriptors = held.withLock { h in
            defer { h = [] }
            return h.map(\.descriptor)
        }
        for fd in descriptors { _ = close(fd) }
    }

    deinit { release() }

    private static func lock(_ dir: String) throws -> Int32 {
        // With any missing parents (`log.dirs=data/cluster/node-1` on a fresh checkout), as Kafka's
        // Files.createDirectories does.
        do {
            try PosixFileSystem().createDirectory(dir)
        } catch {
            throw DirectoryLockError(directory: dir, reason: "cannot create the directory: \(error)")
        }
        let path = dir + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DirectoryLockError(directory: dir, reason: "cannot open \(fileName): \(String(cString: strerror(errno)))")
        }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 0
        #if os(Linux)
        let command: Int32 = 37  // F_OFD_SETLK: glibc defines it only under _GNU_SOURCE, which Swift does not set
        #else
        let command = F_SETLK
        #endif
        if fcntl(fd, command, &request) != 0 {
            let code = errno
            _ = close(fd)
            if code == EAGAIN || code == EACCES {
                throw DirectoryLockError(directory: dir, reason: nil)
            }
            throw DirectoryLockError(directory: dir, reason: "cannot lock \(fileName): \(String(cString: strerror(code)))")
        }
        return fd
    }
}

/// A log or metadata directory that could not be locked; with no `reason`, another process holds it.
public struct DirectoryLockError: Error, CustomStringConvertible, Equatable {
    public let directory: String
    public let reason: String?

    public var description: String {
        if let reason { return "Failed to acquire lock on file .lock in \(directory): \(reason)" }
        return "Failed to acquire lock on file .lock in \(directory). A Kafka instance in another process or thread "
            + "is using this directory."
    }
}
