#if canImport(Glibc)
import Glibc
#endif

/// The process's soft RLIMIT_NOFILE, which every socket and open file counts against.
public enum OpenFileLimit {
    /// Nil when it cannot be read (then nothing is sized by it); RLIM_INFINITY reads as Int.max.
    public static var soft: Int? {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(clamping: limit.rlim_cur)
        #else
        return nil
        #endif
    }
}
