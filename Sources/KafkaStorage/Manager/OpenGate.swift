#if canImport(Glibc)
import Glibc
#endif

/// One partition's open in progress: the thread opening it finishes the gate, and other threads asking for the
/// same partition meanwhile wait on it — only they, so a partition being opened (and perhaps recovered) never
/// holds up the others (issue 14 item 1; LogManager used to open under its global lock).
final class OpenGate: @unchecked Sendable {
    // @unchecked: `outcome` is read and written only with `mutex` held; the pthread objects are allocated once.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var outcome: Result<PartitionHandle, any Error>?

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Records how the open ended and wakes every waiter.
    func finish(_ result: Result<PartitionHandle, any Error>) {
        pthread_mutex_lock(mutex)
        outcome = result
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until the open has ended; returns its handle or throws its error.
    func wait() throws -> PartitionHandle {
        pthread_mutex_lock(mutex)
        var result = outcome
        while result == nil {
            pthread_cond_wait(condition, mutex)
            result = outcome
        }
        pthread_mutex_unlock(mutex)
        guard let result else { preconditionFailure("unreachable: the loop ends with an outcome") }
        return try result.get()
    }
}
