import KafkaProtocol
import KafkaReplication
import KafkaStorage
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Fetch (key 1), versions 0-18 for consumers.
///
/// Long poll on max.wait.ms / min.bytes (woken by appends), response max.bytes and partition max bytes with the
/// first partition always getting at least one whole batch, isolation level (read_committed stops at the last
/// stable offset and lists aborted transactions), topic ids from v13, incremental fetch sessions (KIP-227, v7+:
/// the session remembers the partitions, incremental responses carry only partitions with news). Records go out
/// with sendfile (v4+); versions 0-3 get them down-converted to magic 0 (v0-1) or magic 1 (v2-3). The response
/// keeps the order of the request (or, incrementally, of the session), one topic entry per run of consecutive
/// partitions of a topic: a topic listed twice, apart, comes back twice. Only the leader serves: a partition led
/// elsewhere, or a `CurrentLeaderEpoch` (v9+) other than the one this node knows, is refused by Kafka's rules
/// (`PartitionLeadership`), with the leader's id, epoch and endpoint from v16 (KIP-951). A fetch naming its
/// `LastFetchedEpoch` (v12+) that has left this log gets `DivergingEpoch` instead of records. A follower fetch
/// (`ReplicaId`, or `ReplicaState` from v15, of a replica of the partition) reads to the log end; from a broker
/// that is no replica, NOT_LEADER_OR_FOLLOWER; its fetch offset is the follower's log end for the partition's
/// replication state (the high watermark, ISR expansion), and a consumer's long poll wakes when the high
/// watermark moves. Leaves out: the replica's broker epoch check (v15), preferred read replicas (KIP-392), and
/// the rotation of partitions with data to the end of an incremental session.
struct FetchHandler: ApiHandler {
    let apiKey = ApiKey.fetch
    let versions: ClosedRange<Int16> = 0...18
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! FetchRequest
        let version = rc.apiVersion
        let image = context.image
        let requested = req.topics.flatMap { t in
            t.partitions.map { p in
                FetchTarget(topic: version >= 13 ? image.topic(id: t.topicId)?.name : t.topic, topicId: t.topicId,
                            requestTopic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset,
                            maxBytes: p.partitionMaxBytes, currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1,
                            lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1,
                            logStartOffset: version >= 5 ? p.logStartOffset : -1)
            }
        }
        let plan: FetchSessionCache.Plan
        if version >= 7 {
            let forgotten = req.forgottenTopicsData.flatMap { f in
                f.partitions.map { FetchSessionCache.Key(topic: f.topic, topicId: f.topicId, partition: $0) }
            }
            let now = context.clock()
            plan = context.fetchSessions.withLock {
                $0.plan(sessionId: req.sessionId, epoch: req.sessionEpoch, targets: requested, forgotten: forgotten, now: now)
            }
        } else {
            plan = .full(targets: requested, sessionId: 0)
        }
        let targets: [FetchTarget]
        let sessionId: Int32
        let incremental: Bool
        switch plan {
        case .error(let e):
            var response = FetchResponse()
            response.errorCode = e.code
            response.sessionId = req.sessionId
            return .respond(response)
        case .full(let t, let id): (targets, sessionId, incremental) = (t, id, false)
        case .incremental(let t, let id): (targets, sessionId, incremental) = (t, id, true)
        }

        let deadline = context.clock() + Int64(max(0, req.maxWaitMs))
        let minBytes = max(0, Int(req.minBytes))
        let partitions = Set(targets.compactMap { t in t.topic.map { TopicPartition($0, t.partition) } })
        while true {
            let seenCount = context.replicas.notifier.appendCount(partitions)
            let result = read(req, targets: targets, version: version, sessionId: sessionId, incremental: incremental,
                              listener: rc.listenerName, replica: Self.replica(req, version: version))
            let remaining = deadline - context.clock()
            if result.bytes >= minBytes || remaining <= 0 || result.news {
                if sessionId != 0 {
                    context.fetchSessions.withLock { $0.commit(sessionId: sessionId, seen: result.seen) }
                }
                return result.slices.isEmpty ? .respond(result.response) : .respondWithFileSlices(result.response, result.slices)
            }
            for s in result.slices { close(s.descriptor) }
            await context.replicas.notifier.wait(for: partitions, since: seenCount, timeoutMs: remaining)
        }
    }

    /// Who fetches: a follower's id (and broker epoch, v15+) or -1 for a consumer.
    private static func replica(_ req: FetchRequest, version: Int16) -> FetchRequest.ReplicaState {
        if version >= 15 { return req.replicaState }
        var state = FetchRequest.ReplicaState()
        state.replicaId = req.replicaId
        return state
    }

    private struct ReadResult {
        var response = FetchResponse()
        var bytes = 0
        var slices: [FileSlice] = []
        var seen: [(FetchSessionCache.Key, FetchSessionCache.Seen)] = []
        /// A partition failed: answered at once rather than held for min.bytes.
        var news = false
    }

    private func read(_ req: FetchRequest, targets: [FetchTarget], version: Int16, sessionId: Int32, incremental: Bool,
                      listener: String, replica: FetchRequest.ReplicaState) -> ReadResult {
        let replicaId = replica.replicaId
        // Versions 4+ send the log's bytes as stored: straight from the segment file with sendfile (plaintext
        // listeners are the only ones there are). Older versions need the bytes in memory to down-convert them.
        let zeroCopy = version >= 4
        let image = context.image
        let readCommitted = version >= 4 && req.isolationLevel == 1
        var budget = version >= 3 ? Int(req.maxBytes) : Int.max
        if budget <= 0 { budget = Int.max }
        var first = true
        var out = ReadResult()
        out.response.sessionId = sessionId
        for t in targets {
            var pd = FetchResponse.PartitionData()
            pd.partitionIndex = t.partition
            var data = false
            // One image lookup per partition: the checks below all read it.
            let partition = t.topic.flatMap { image.topic(named: $0)?.partitions[t.partition] }
            let refusal = partition.map {
                PartitionLeadership.check($0, localId: context.nodeId, currentLeaderEpoch: t.currentLeaderEpoch)
            } ?? .none
            if let partition, refusal != .none {
                pd.errorCode = refusal.code
                pd.records = ByteBuffer()
                if version >= 16, PartitionLeadership.carriesLeaderHint(refusal) {
                    let hint = PartitionLeadership.leaderHint(partition, leader: image.brokers[partition.leader], listener: listener)
                    pd.currentLeader.leaderId = hint.leaderId
                    pd.currentLeader.leaderEpoch = hint.leaderEpoch
                    if let e = hint.endpoint, !out.response.nodeEndpoints.contains(where: { $0.nodeId == hint.leaderId }) {
                        var node = FetchResponse.NodeEndpoint()
                        node.nodeId = hint.leaderId
                        node.host = e.host
                        node.port = e.port
                        node.rack = e.rack
                        out.response.nodeEndpoints.append(node)
                    }
                }
            } else if let partition, replicaId >= 0, !partition.replicas.contains(replicaId) {
                // A follower fetch from a broker that is no replica of the partition (Kafka's followerReplicaOrThrow).
                pd.errorCode = KafkaError.notLeaderOrFollower.code
                pd.records = ByteBuffer()
            } else if let name = t.topic, partition != nil {
                let tp = TopicPartition(name, t.partition)
                let diverging = FetchPosition.divergence(fetchOffset: t.fetchOffset, lastFetchedEpoch: t.lastFetchedEpoch) { epoch in
                    let (error, e, end) = context.replicas.endOffset(tp, forLeaderEpoch: epoch)
                    return error == .none && e >= 0 ? EpochEndOffset(epoch: e, endOffset: end) : nil
                }
                let maxBytes = min(max(0, Int(t.maxBytes)), budget)
                let r = diverging != nil ? context.replicas.watermarks(tp) : context.replicas.read(
                    tp, offset: t.fetchOffset, maxBytes: maxBytes, readCommitted: readCommitted, minOneBatch: first,
                    zeroCopy: zeroCopy,
                    follower: replicaId >= 0 ? ReplicaManager.FollowerFetch(
                        replicaId: replicaId, brokerEpoch: replica.replicaEpoch, logStartOffset: t.logStartOffset) : nil)
                if let diverging {
                    // Fetch v12+ (KIP-595's rule, which Kafka applies to every partition): the fetcher's log left
                    // this one after `endOffset` of that epoch; it truncates and fetches again.
                    pd.divergingEpoch.epoch = diverging.epoch
                    pd.divergingEpoch.endOffset = diverging.endOffset
                    out.news = true
                }
                pd.errorCode = r.error.code
                pd.highWatermark = r.highWatermark
                pd.lastStableOffset = r.lastStableOffset
                pd.logStartOffset = r.logStartOffset
                if let aborted = r.abortedTransactions {
                    pd.abortedTransactions = aborted.map {
                        var a = FetchResponse.AbortedTransaction()
                        a.producerId = $0.producerId
                        a.firstOffset = $0.firstOffset
                        return a
                    }
                }
                if let slice = r.fileSlice {
                    pd.records = FileSlice.placeholder(out.slices.count)
                    out.slices.append(slice)
                    out.bytes += slice.length
                    budget = max(0, budget - slice.length)
                    first = false
                    data = true
                } else if var records = r.records, records.readableBytes > 0 {
                    if version < 4 { records = DownConverter.convert(records, fetchVersion: version) }
                    pd.records = records
                    out.bytes += records.readableBytes
                    budget = max(0, budget - records.readableBytes)
                    first = false
                    data = true
                } else {
                    pd.records = ByteBuffer()
                }
            } else {
                pd.errorCode = (version >= 13 && t.topic == nil ? KafkaError.unknownTopicId : .unknownTopicOrPartition).code
                pd.records = ByteBuffer()
            }
            let seen = FetchSessionCache.Seen(highWatermark: pd.highWatermark, lastStableOffset: pd.lastStableOffset,
                                              logStartOffset: pd.logStartOffset)
            // An error (unknown partition, offset out of range) completes the fetch at once, as in Kafka's
            // delayed fetch; a moved watermark alone is reported with the next response.
            if pd.errorCode != 0 { out.news = true }
            if incremental {
                let changed = context.fetchSessions.withLock { $0.hasNews(sessionId: sessionId, key: t.key, seen: seen) }
                guard data || pd.errorCode != 0 || changed else { continue }
            }
            if sessionId != 0 { out.seen.append((t.key, seen)) }
            // Request order is kept: a partition joins the last topic entry only when it is of that topic, so a
            // topic named again after another one (librdkafka's A1, B0, B1, A0) gets an entry of its own, as
            // Kafka's FetchResponse builds it.
            if let last = out.response.responses.indices.last,
               out.response.responses[last].topic == t.requestTopic, out.response.responses[last].topicId == t.topicId {
                out.response.responses[last].partitions.append(pd)
            } else {
                var tr = FetchResponse.FetchableTopicResponse()
                tr.topic = t.requestTopic
                tr.topicId = t.topicId
                tr.partitions = [pd]
                out.response.responses.append(tr)
            }
        }
        return out
    }
}
