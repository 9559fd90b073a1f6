/// Errors thrown by the storage layer. File-system failures keep the operation, the path and the `errno` so that
/// the broker can tell a full disk (ENOSPC) from a failing one (EIO) and take the log directory offline.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case system(operation: String, path: String, errno: Int32)
    /// A file or directory that must exist does not.
    case notFound(String)
    /// Bytes on disk do not have the expected shape (a checkpoint, index or snapshot that cannot be parsed).
    case corrupt(String)
    /// A caller passed a value the log cannot accept (an offset below the log start, batches out of order, ...).
    case invalidArgument(String)
    /// The requested offset is outside [logStartOffset, logEndOffset] (Kafka's OFFSET_OUT_OF_RANGE).
    case offsetOutOfRange(requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// An earlier write or fsync failed and the log refuses further writes until it is reopened (and recovered).
    case logFailed(String)

    /// `errno` value for "no space left on device" on Linux and Darwin.
    public static let noSpaceErrno: Int32 = 28
    /// `errno` value for "input/output error".
    public static let ioErrno: Int32 = 5
    /// `errno` value for "no such file or directory".
    public static let noEntryErrno: Int32 = 2

    /// Whether the failure is a full disk.
    public var isNoSpace: Bool {
        if case .system(_, _, let code) = self { return code == Self.noSpaceErrno }
        return false
    }

    public var description: String {
        switch self {
        case .system(let operation, let path, let code): return "\(operation) \(path): errno \(code)"
        case .notFound(let path): return "not found: \(path)"
        case .corrupt(let message): return "corrupt: \(message)"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .offsetOutOfRange(let requested, let start, let end):
            return "offset \(requested) out of range [\(start), \(end)]"
        case .logFailed(let message): return "log failed: \(message)"
        }
    }
}
