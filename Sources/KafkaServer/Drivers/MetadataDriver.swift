import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore
import Synchronization

/// The latest metadata image, readable from any thread.
public final class MetadataCache: Sendable {
    private let current: Mutex<MetadataImage>
    public init(_ image: MetadataImage) { current = Mutex(image) }
    public var image: MetadataImage { current.withLock { $0 } }
    func publish(_ image: MetadataImage) { current.withLock { $0 = image } }
}

/// Runs the pure `QuorumController` against the KRaft metadata log `__cluster_metadata-0`, with a quorum of one
/// voter: a command's records are written as one batch, fsynced (the single voter's commit), then replayed into the
/// controller and published. The multi-node quorum replaces `commit` without touching the broker side.
public actor MetadataDriver {
    private var controller: QuorumController
    private let log: PartitionLog
    private var rng = SystemRandomNumberGenerator()
    public nonisolated let cache: MetadataCache
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    /// Called after each commit with the new image, on the actor (the broker creates and deletes partition logs).
    private let onCommit: @Sendable (MetadataImage, [MetadataRecord]) -> Void

    /// Opens the metadata log in `directory` and replays it. An empty log is bootstrapped with the records
    /// `kafka-storage format` writes (the metadata.version feature level).
    public init(
        directory: String, cache fileCache: FileHandleCache, configuration: ControllerConfiguration,
        clock: @escaping @Sendable () -> Int64, logger: Logger,
        onCommit: @escaping @Sendable (MetadataImage, [MetadataRecord]) -> Void
    ) throws {
        let now = clock()
        var config = LogConfig()
        config.retentionMs = nil  // the metadata log is never trimmed by time (snapshots would; not yet written)
        log = try PartitionLog.open(
            directory: directory, topicPartition: TopicPartition("__cluster_metadata", 0), config: config,
            cache: fileCache, cleanShutdown: false, now: now)
        var controller = QuorumController(configuration: configuration)
        var replayed = 0
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let read = try log.read(from: offset, maxBytes: 1 << 20, now: now)
            guard let region = read.region else { break }
            var it = RecordBatchIterator(try region.bytes())
            var progressed = false
            while let batch = try it.next() {
                let h = batch.header
                offset = h.nextOffset
                progressed = true
                if h.isControl { continue }
                try batch.forEachRecord { r in
                    guard let value = r.value else { return }
                    try controller.replay(try MetadataRecord.decode(value))
                    replayed += 1
                }
            }
            if !progressed { break }
        }
        self.controller = controller
        self.cache = MetadataCache(controller.image)
        self.logger = logger
        self.clock = clock
        self.onCommit = onCommit
        let end = log.logEndOffset
        logger.info("metadata log replayed: \(replayed) records up to offset \(end)")
    }

    /// Whether the log holds nothing yet (a freshly formatted node).
    public var isEmpty: Bool { log.logEndOffset == 0 }

    /// The offset the next committed record gets (Kafka uses it as a broker's epoch).
    public var nextOffset: Int64 { log.logEndOffset }

    public var image: MetadataImage { controller.image }

    /// Runs a controller command and commits its records before returning its response.
    public func run<Response: Sendable>(
        _ command: (QuorumController, inout SystemRandomNumberGenerator) -> ControllerResult<Response>
    ) throws -> Response {
        let result = command(controller, &rng)
        try commit(result.records)
        return result.response
    }

    private func commit(_ records: [MetadataRecord]) throws {
        guard !records.isEmpty else { return }
        let now = clock()
        var builder = RecordBatchBuilder(partitionLeaderEpoch: 1)
        for record in records {
            try builder.append(timestamp: now, key: nil, value: try record.encoded())
        }
        var batch = try builder.build()
        try log.append(&batch, origin: .leader(epoch: 1), now: now)
        try log.flush(now: now)
        log.updateHighWatermark(log.logEndOffset)
        try controller.replay(records)
        cache.publish(controller.image)
        onCommit(controller.image, records)
    }

    /// Flushes and closes the metadata log.
    public func close() throws {
        try log.close(now: clock())
    }
}
