import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe the signal handler writes to; set once, before the handler is installed.
nonisolated(unsafe) private var terminationPipeWrite: Int32 = -1

/// SIGTERM and SIGINT, captured from the moment `install()` returns.
///
/// Installed first thing in a command's `run()`: a signal that arrives while start-up is still binding
/// listeners or replaying logs is remembered, and `wait()` then returns at once, so the process stops
/// through its normal shutdown and exits 0 instead of dying by the default disposition (exit status -15).
///
/// Why a handler and a pipe rather than a Dispatch signal source alone: on Linux a source's registration
/// completes asynchronously after `resume()`, and with the disposition already set to SIG_IGN a signal that
/// arrived in that gap was discarded — the node then ran on, deaf to the SIGTERM it had been sent. `sigaction`
/// takes effect when it returns, and a byte in the pipe waits until the reader gets to it.
final class TerminationSignals: @unchecked Sendable {
    private let lock = PthreadMutex()
    private var fired = false
    private var failure = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var source: DispatchSourceRead?
    private var statsHandler: (@Sendable () -> Void)?

    private init() {}

    /// Routes SIGTERM and SIGINT to this value (their default action, terminate, no longer applies).
    static func install() -> TerminationSignals {
        let signals = TerminationSignals()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            // Without a pipe the signals keep their default action: the process still stops, by signal.
            return signals
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        terminationPipeWrite = fds[1]
        let readEnd = fds[0]
        let source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: DispatchQueue(label: "signals"))
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 64)
            var terminate = false
            var stats = false
            while true {
                let n = read(readEnd, &buffer, buffer.count)
                guard n > 0 else { break }
                for byte in buffer[0 ..< n] {
                    if Int32(byte) == SIGUSR1 { stats = true } else { terminate = true }
                }
            }
            if stats { signals.requestStats() }
            if terminate { signals.fire() }
        }
        source.resume()
        signals.source = source
        // SIGUSR1 asks for the request counts (`onStatsRequest`); before a handler is set it is absorbed.
        for sig in [SIGTERM, SIGINT, SIGUSR1] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { sig in
                // Only async-signal-safe calls here: one non-blocking write. The reader drains the pipe at every
                // wake-up, so it is full (and a byte lost) only if ~65,000 signals arrive before the reader runs.
                // errno is saved and restored so the interrupted code never sees the handler's.
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: sig)
                _ = write(terminationPipeWrite, &byte, 1)
                errno = saved
            }
            #endif
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(sig, &action, nil)
        }
        return signals
    }

    /// Called (on the signals queue) for each SIGUSR1 from now on.
    func onStatsRequest(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        statsHandler = handler
        lock.unlock()
    }

    private func requestStats() {
        lock.lock()
        let handler = statsHandler
        lock.unlock()
        handler?()
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
