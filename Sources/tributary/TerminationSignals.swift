import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT, captured from the moment `install()` returns.
///
/// Installed first thing in a command's `run()`: a signal that arrives while start-up is still binding
/// listeners or replaying logs is remembered, and `wait()` then returns at once, so the process stops
/// through its normal shutdown and exits 0 instead of dying by the default disposition (exit status -15).
final class TerminationSignals: @unchecked Sendable {
    private let lock = PthreadMutex()
    private var fired = false
    private var failure = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var sources: [DispatchSourceSignal] = []

    private init() {}

    /// Ignores the default disposition of SIGTERM and SIGINT and routes both to this value.
    static func install() -> TerminationSignals {
        let signals = TerminationSignals()
        let queue = DispatchQueue(label: "signals")
        for sig in [SIGTERM, SIGINT] {
            // The default action (terminate) is turned off first; Dispatch's source then delivers the signal.
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { signals.fire() }
            source.resume()
            signals.sources.append(source)
        }
        return signals
    }

    /// Returns once SIGTERM or SIGINT has arrived (at once if one already has).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if fired {
                lock.unlock()
                continuation.resume()
                return
            }
            waiter = continuation
            lock.unlock()
        }
    }

    /// Whether `fail()` ended the wait (the process then exits 1 after its shutdown).
    var failed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Ends the wait as a signal would, for a node that cannot go on (its listeners could not be bound).
    func fail() {
        lock.lock()
        failure = true
        lock.unlock()
        fire()
    }

    /// The first signal wakes the waiter; later ones (a second ^C) are absorbed while shutdown runs.
    private func fire() {
        lock.lock()
        if fired {
            lock.unlock()
            return
        }
        fired = true
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }
}

/// A pthread mutex, to keep Foundation out of the executable's start-up path.
final class PthreadMutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}
