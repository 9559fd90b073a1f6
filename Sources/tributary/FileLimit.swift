import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Raises the soft RLIMIT_NOFILE to the hard limit at start-up.
///
/// Every client connection, log segment and index is a file descriptor, and the usual soft default (1024) is
/// far below what a broker with many clients needs, while the hard limit is usually much higher. The JVM does
/// the same for Kafka by default (-XX:+MaxFDLimit). On Linux the hard limit of RLIMIT_NOFILE is never
/// RLIM_INFINITY (the kernel caps it at fs.nr_open), so it is a usable value to raise to.
enum FileLimit {
    /// Logs at info only when the limit changed; a failure is a warning, never fatal (the broker runs with the
    /// limit it has).
    static func raiseSoftToHard(logger: Logger) {
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
}
