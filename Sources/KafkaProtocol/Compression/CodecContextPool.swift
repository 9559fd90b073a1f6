#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small cache of native codec contexts (zstd, LZ4 frame), so that each call does not pay for allocating and
/// initialising one. Contexts are handed out to one caller at a time.
final class CodecContextPool: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private var contexts: [OpaquePointer] = []
    private let maxCached: Int
    private let make: @Sendable () -> OpaquePointer?
    private let free: @Sendable (OpaquePointer) -> Void

    init(
        maxCached: Int = 8, make: @escaping @Sendable () -> OpaquePointer?,
        free: @escaping @Sendable (OpaquePointer) -> Void
    ) {
        self.maxCached = maxCached
        self.make = make
        self.free = free
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        contexts.reserveCapacity(maxCached)
    }

    deinit {
        for context in contexts { free(context) }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Calls `body` with a context taken from the pool (or a new one). `body` returns whether the context is in a
    /// reusable state; it is given back to the pool only then.
    func withContext<T>(
        codec: CompressionCodec, _ body: (OpaquePointer) throws -> (result: T, reusable: Bool)
    ) throws -> T {
        pthread_mutex_lock(lock)
        let cached = contexts.popLast()
        pthread_mutex_unlock(lock)
        guard let context = cached ?? make() else {
            throw CompressionError(codec: codec, reason: "out of memory creating a codec context")
        }
        var reusable = false
        defer {
            if reusable {
                pthread_mutex_lock(lock)
                let keep = contexts.count < maxCached
                if keep { contexts.append(context) }
                pthread_mutex_unlock(lock)
                if !keep { free(context) }
            } else {
                free(context)
            }
        }
        let outcome = try body(context)
        reusable = outcome.reusable
        return outcome.result
    }
}
