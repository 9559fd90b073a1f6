import Foundation
import KafkaStorage
import Logging
import Synchronization

/// Runs the log cleaner off the request path: `log.cleaner.threads` dedicated threads, each with its own offset
/// map (`log.cleaner.dedupe.buffer.size` divided among them), each cleaning the dirtiest compacted log in turn
/// (`LogManager.cleanFilthiestLog`) and sleeping `log.cleaner.backoff.ms` when none needs it. Reads and writes are
/// rate limited by `log.cleaner.io.max.bytes.per.second`, shared by all threads (Kafka's single throttler).
final class LogCleanerService: Sendable {
    struct Settings: Sendable {
        var threads = 1
        var dedupeBufferSize: Int64 = 128 << 20
        var ioBufferSize = 512 << 10
        var loadFactor = 0.9
        var maxIOBytesPerSecond = Double.greatestFiniteMagnitude
        var backoffMs: Int64 = 15_000
    }

    private let logs: LogManager
    private let settings: Settings
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let stopped = Mutex(false)
    private let throttle: Mutex<CleanerThrottle>
    private let running = Mutex(0)

    init(logs: LogManager, settings: Settings, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.logs = logs
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.throttle = Mutex(CleanerThrottle(bytesPerSecond: settings.maxIOBytesPerSecond))
    }

    /// The broker's settings.
    static func settings(_ config: BrokerConfig) -> Settings {
        var s = Settings()
        s.threads = Int(config.replication.logCleanerThreads)
        s.dedupeBufferSize = config.replication.logCleanerDedupeBufferSize
        s.ioBufferSize = Int(config.replication.logCleanerIOBufferSize)
        s.loadFactor = config.replication.logCleanerIOBufferLoadFactor
        s.maxIOBytesPerSecond = config.replication.logCleanerIOMaxBytesPerSecond
        s.backoffMs = config.replication.logCleanerBackoffMs
        return s
    }

    /// Starts the threads.
    func start() {
        guard settings.threads > 0 else { return }
        let memory = Int(min(settings.dedupeBufferSize / Int64(settings.threads), Int64(Int.max)))
        for index in 0..<settings.threads {
            running.withLock { $0 += 1 }
            let thread = Thread { [self] in
                run(index: index, memory: memory)
                running.withLock { $0 -= 1 }
            }
            thread.name = "kafka-log-cleaner-thread-\(index)"
            thread.start()
        }
        logger.info("log cleaner started: \(settings.threads) thread\(settings.threads == 1 ? "" : "s"), \(memory) bytes of offset map each")
    }

    /// Asks the threads to stop and waits (bounded) for them: the cleaner stops between batches.
    func stop() {
        stopped.withLock { $0 = true }
        for _ in 0..<3_000 where running.withLock({ $0 }) > 0 { usleep(10_000) }
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func run(index: Int, memory: Int) {
        var map = OffsetMap(memory: memory, loadFactor: settings.loadFactor)
        while !isStopped {
            var worked = false
            do {
                if let run = try logs.cleanFilthiestLog(now: clock(), map: &map, ioBufferSize: settings.ioBufferSize,
                                                        onIO: { [self] bytes in pace(bytes) }) {
                    worked = run.completed
                    let s = run.stats
                    logger.info("cleaned \(run.topicPartition) up to offset \(run.endOffset) (dirty ratio \(String(format: "%.2f", run.assessment.cleanableRatio))): \(s.bytesRead) bytes read, \(s.bytesWritten) written, \(s.recordsRetained) of \(s.recordsRead) records kept, \(s.segmentsSwapped) segments replaced\(run.completed ? "" : " (stopped: the log changed; retried later)")")
                }
            } catch {
                logger.error("log cleaner thread \(index): cleaning failed, the partition is marked uncleanable: \(error)")
            }
            if !worked { sleepUnlessStopped(ms: settings.backoffMs) }
        }
    }

    /// The I/O throttle: sleeps as `CleanerThrottle` says.
    private func pace(_ bytes: Int64) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        let nanos = throttle.withLock { $0.record(bytes, nowNanos: now) }
        if nanos > 0 { usleep(UInt32(min(nanos / 1000, 10_000_000))) }
    }

    private func sleepUnlessStopped(ms: Int64) {
        var left = ms
        while left > 0, !isStopped {
            let step = min(left, 100)
            usleep(UInt32(step * 1000))
            left -= step
        }
    }
}
