import class KafkaClient.KafkaClientConnection
import enum KafkaClient.KafkaClientConnectionError
import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Logging
import NIOCore
import Synchronization

/// The follower side of replication: one fetcher task per leader this node follows partitions of (Kafka's
/// `ReplicaFetcherThread`, with `num.replica.fetchers` = 1), on a connection of its own to the leader's
/// inter-broker listener, so that its long polls never hold up other inter-broker requests.
///
/// Each round sends one Fetch (v15, sessionless: `ReplicaState` with this node's id and broker epoch) naming every
/// partition followed from that leader at its log end and last epoch, then applies the answer partition by
/// partition under the log's lock — and only if the partition is still followed from that leader at that epoch:
/// records appended as replicated (offsets and epochs kept, producer state rebuilt from the batches), the high
/// watermark raised to the leader's (capped at the log end, never lowered), a diverging epoch (v12+) truncated by
/// `FetchPosition.truncation`. One fetch in flight per leader, as the replication simulation requires: an answer
/// is applied before the next request is built from the log it left.
///
/// Leaves out: fetch sessions (KIP-227) between brokers, OffsetForLeaderEpoch for leaders older than Fetch v12,
/// throttling (`replica.fetch` quotas) and more than one fetcher per leader.
final class ReplicaFetchers: Sendable {
    private let nodeId: Int32
    private let replicas: ReplicaManager
    private let settings: ReplicationSettings
    private let listenerName: String
    private let group: any EventLoopGroup
    private let requestTimeoutMs: Int64
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    /// The latest published image: leaders' endpoints and this broker's epoch.
    private let image = Mutex(MetadataImage())
    private let tasks = Mutex<(running: [Int32: Task<Void, Never>], stopped: Bool)>(([:], false))
    /// Each fetcher's connection while a fetch is in flight, and the fetchers woken since (see `wake`).
    private let inFlight = Mutex<(connections: [Int32: KafkaClientConnection], woken: Set<Int32>)>(([:], []))

    init(nodeId: Int32, replicas: ReplicaManager, settings: ReplicationSettings, listenerName: String,
         group: any EventLoopGroup, requestTimeoutMs: Int64, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.nodeId = nodeId
        self.replicas = replicas
        self.settings = settings
        self.listenerName = listenerName
        self.group = group
        self.requestTimeoutMs = requestTimeoutMs
        self.clock = clock
        self.logger = logger
    }

    /// The metadata image the applier just applied.
    func publish(_ image: MetadataImage) { self.image.withLock { $0 = image } }

    /// Starts the fetcher of `leader` (the registry said none runs).
    func start(leader: Int32) {
        tasks.withLock { t in
            guard !t.stopped else { return }
            t.running[leader] = Task.detached { [self] in await run(leader: leader) }
        }
    }

    /// A partition was added to `leader`'s fetcher (a new topic, a new epoch): its long poll, which does not name
    /// the partition, is cut short by closing its connection, so the next round includes it at once instead of
    /// after up to `replica.fetch.wait.max.ms`. The cut fetch's answer is never applied.
    func wake(leader: Int32) {
        let connection = inFlight.withLock { f -> KafkaClientConnection? in
            guard let c = f.connections[leader] else { return nil }
            f.woken.insert(leader)
            return c
        }
        connection?.close()
    }

    /// Stops every fetcher (shutdown).
    func stop() {
        let running = tasks.withLock { t -> [Task<Void, Never>] in
            t.stopped = true
            defer { t.running = [:] }
            return Array(t.running.values)
        }
        for task in running { task.cancel() }
    }

    /// Where a followed partition's log stands when a round begins.
    private struct Position {
        var followed: PartitionReplicas.Followed
        var fetchOffset: Int64
        var lastFetchedEpoch: Int32
        var logStartOffset: Int64
    }

    private func run(leader: Int32) async {
        var connection: KafkaClientConnection?
        var retryAt: [TopicPartition: Int64] = [:]
        var lastError: String?
        defer { connection?.close() }
        while !Task.isCancelled {
            // Deregisters this fetcher, atomically, when nothing is followed from `leader` any more.
            guard let followed = replicas.roles.followedFrom(leader) else { return }
            let now = clock()
            let snapshot = image.withLock { $0 }
            guard let registration = snapshot.brokers[leader], !registration.fenced,
                  let endpoint = registration.listeners.first(where: { $0.name == listenerName }) ?? registration.listeners.first
            else {
                await backOff()
                continue
            }
            if let c = connection, c.host != endpoint.host || c.port != Int(endpoint.port) {
                c.close()
                connection = nil
            }
            let link = connection ?? KafkaClientConnection(
                host: endpoint.host, port: Int(endpoint.port), clientId: "replica-fetcher-\(nodeId)-\(leader)",
                group: group, requestTimeoutMs: requestTimeoutMs + Int64(settings.replicaFetchWaitMaxMs))
            connection = link
            var positions: [TopicPartition: Position] = [:]
            for (tp, f) in followed where retryAt[tp].map({ $0 <= now }) ?? true {
                guard let handle = try? replicas.logs.log(tp, now: now),
                      let p = try? handle.withLog({ log in
                          Position(followed: f, fetchOffset: log.logEndOffset, lastFetchedEpoch: log.leaderEpochs.latestEpoch ?? -1,
                                   logStartOffset: log.logStartOffset)
                      }) else { continue }
                positions[tp] = p
            }
            guard !positions.isEmpty else {
                await backOff()
                continue
            }
            let request = fetchRequest(positions, brokerEpoch: replicas.brokerEpoch.current)
            let response: FetchResponse
            inFlight.withLock { $0.connections[leader] = link }
            defer { inFlight.withLock { $0.connections[leader] = nil } }
            do {
                guard let r = try await link.send(request, version: 15).body as? FetchResponse else {
                    throw KafkaClientConnectionError.badRequest("not a Fetch response")
                }
                response = r
            } catch {
                link.close()
                connection = nil
                if inFlight.withLock({ $0.woken.remove(leader) != nil }) { continue }  // cut short by `wake`
                let text = "\(error)"
                if text != lastError { logger.info("replica fetch from broker \(leader) failed: \(text); retrying every \(settings.replicaFetchBackoffMs) ms") }
                lastError = text
                await backOff()
                continue
            }
            lastError = nil
            // Woken after the answer came: the answer stands, the closed connection is replaced next round.
            if inFlight.withLock({ $0.woken.remove(leader) != nil }) { connection = nil }
            if response.errorCode != 0 {
                logger.warning("replica fetch from broker \(leader) refused: \(KafkaError(rawValue: response.errorCode) ?? .unknownServerError)")
                await backOff()
                continue
            }
            let byId = Dictionary(positions.map { ($0.value.followed.topicId, $0.key.topic) }, uniquingKeysWith: { a, _ in a })
            for topic in response.responses {
                guard let name = byId[topic.topicId] else { continue }
                for pd in topic.partitions {
                    let tp = TopicPartition(name, pd.partitionIndex)
                    guard let position = positions[tp] else { continue }
                    if !apply(pd, to: tp, from: position, now: clock()) {
                        retryAt[tp] = clock() + Int64(settings.replicaFetchBackoffMs)
                    } else {
                        retryAt[tp] = nil
                    }
                }
            }
        }
    }

    private func backOff() async {
        try? await Task.sleep(for: .milliseconds(Int64(max(1, settings.replicaFetchBackoffMs))))
    }

    private func fetchRequest(_ positions: [TopicPartition: Position], brokerEpoch: Int64) -> FetchRequest {
        var request = FetchRequest()
        request.replicaState.replicaId = nodeId
        request.replicaState.replicaEpoch = brokerEpoch
        request.maxWaitMs = settings.replicaFetchWaitMaxMs
        request.minBytes = settings.replicaFetchMinBytes
        request.maxBytes = settings.replicaFetchResponseMaxBytes
        request.sessionId = 0
        request.sessionEpoch = -1
        var topics: [KafkaUUID: FetchRequest.FetchTopic] = [:]
        for (tp, p) in positions.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
            var fp = FetchRequest.FetchPartition()
            fp.partition = tp.partition
            fp.currentLeaderEpoch = p.followed.leaderEpoch
            fp.fetchOffset = p.fetchOffset
            fp.lastFetchedEpoch = p.lastFetchedEpoch
            fp.logStartOffset = p.logStartOffset
            fp.partitionMaxBytes = settings.replicaFetchMaxBytes
            topics[p.followed.topicId, default: {
                var t = FetchRequest.FetchTopic()
                t.topic = tp.topic
                t.topicId = p.followed.topicId
                return t
            }()].partitions.append(fp)
        }
        request.topics = Array(topics.values)
        return request
    }

    /// Applies one partition of a fetch answer; false when the partition should wait `replica.fetch.backoff.ms`.
    private func apply(_ pd: FetchResponse.PartitionData, to tp: TopicPartition, from position: Position, now: Int64) -> Bool {
        let error = KafkaError(rawValue: pd.errorCode) ?? .unknownServerError
        guard error == .none || error == .offsetOutOfRange else {
            // Not the leader (any more), an epoch one side does not know yet: the metadata log will say.
            logger.debug("replica fetch of \(tp) from broker \(position.followed.leader): \(error)")
            return false
        }
        do {
            guard let handle = try replicas.logs.log(tp, now: now) else { return false }
            return try handle.withLog { log -> Bool in
                // The role or the log changed while the fetch was out: this answer is about a log that is gone.
                guard replicas.roles.isFollowing(tp, position.followed), log.logEndOffset == position.fetchOffset else { return true }
                if error == .offsetOutOfRange { return try outOfRange(pd, log: log, now: now) }
                if pd.divergingEpoch.epoch >= 0 {
                    let leader = EpochEndOffset(epoch: pd.divergingEpoch.epoch, endOffset: pd.divergingEpoch.endOffset)
                    let cut = FetchPosition.truncation(leader: leader, logEndOffset: log.logEndOffset,
                                                       highWatermark: log.highWatermark) { epoch in
                        log.endOffset(forLeaderEpoch: epoch).map { EpochEndOffset(epoch: $0.epoch, endOffset: $0.endOffset) }
                    }
                    logger.info("truncating \(tp) to offset \(cut.offset): diverged from broker \(position.followed.leader) after epoch \(leader.epoch) at \(leader.endOffset)")
                    try log.truncate(to: cut.offset, now: now)
                    return true
                }
                var corrupt = false
                if let records = pd.records {
                    let checked = Self.wholeBatches(records)
                    var whole = checked.batches
                    if whole.readableBytes > 0 { try log.append(&whole, origin: .replication, now: now) }
                    corrupt = checked.corrupt
                }
                var hw = FollowerHighWatermark(log.highWatermark)
                if hw.leaderReported(pd.highWatermark, logEndOffset: log.logEndOffset) { log.updateHighWatermark(hw.value) }
                // The leader's log start moved on (retention, DeleteRecords): follow it below the high watermark.
                if pd.logStartOffset > log.logStartOffset, pd.logStartOffset <= log.highWatermark {
                    try log.deleteRecords(before: pd.logStartOffset, now: now)
                }
                if corrupt {
                    // Kafka's fetcher logs CorruptRecordException and fetches the partition again after a backoff.
                    logger.error("replica fetch of \(tp) from broker \(position.followed.leader): a batch at offset \(log.logEndOffset) fails its CRC; fetching it again")
                    return false
                }
                return true
            }
        } catch {
            logger.error("replicating \(tp) from broker \(position.followed.leader) failed: \(error)")
            return false
        }
    }

    /// OFFSET_OUT_OF_RANGE: the leader's log starts past this log's end (it deleted what this follower lacks), so
    /// this log starts over there; or this log ends past the leader's high watermark, so it is cut back to it.
    private func outOfRange(_ pd: FetchResponse.PartitionData, log: PartitionLog, now: Int64) throws -> Bool {
        if pd.logStartOffset > log.logEndOffset {
            logger.info("\(log.topicPartition): the leader's log starts at \(pd.logStartOffset), past this replica's end \(log.logEndOffset); starting over there")
            try log.truncateFully(startAt: pd.logStartOffset, now: now)
            return true
        }
        if pd.highWatermark >= 0, pd.highWatermark < log.logEndOffset {
            try log.truncate(to: pd.highWatermark, now: now)
            return true
        }
        return false
    }

    /// The whole batches at the front of `records` whose CRC holds (a fetch answer may end in a partial batch),
    /// and whether a batch after them is damaged.
    static func wholeBatches(_ records: ByteBuffer) -> (batches: ByteBuffer, corrupt: Bool) {
        let prefix = ValidBatchPrefix(records)
        return (records.getSlice(at: records.readerIndex, length: prefix.length) ?? ByteBuffer(), prefix.corrupt)
    }
}
