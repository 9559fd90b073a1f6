import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The process's soft RLIMIT_NOFILE, which every socket and open file counts against.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard one, at start-up before any listener or log directory opens
    /// descriptors. The usual soft default (1024) is far below what a broker with many clients needs, while the
    /// hard limit is usually much higher; the JVM does the same for Kafka by default (-XX:+MaxFDLimit). On Linux
    /// the hard limit is never RLIM_INFINITY (the kernel caps it at fs.nr_open), so it is a usable value. Logs at
    /// info only when the limit changed; a failure is a warning, never fatal (the node runs with what it has).
    public static func raiseSoftToHard(logger: Logger) {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            logger.warning("could not read the open-file limit: errno \(errno)")
            return
        }
        let soft = limit.rlim_cur
        guard soft < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(resource, &limit) == 0 else {
            logger.warning("could not raise the open-file limit from \(soft) to \(limit.rlim_max): errno \(errno)")
            return
        }
        logger.info("raised the open-file limit from \(soft) to \(limit.rlim_max)")
        #endif
    }

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
