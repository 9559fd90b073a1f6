import KafkaProtocol
import KafkaStorage
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Fetch (key 1), versions 0-18 for consumers.
///
/// Long poll on max.wait.ms / min.bytes (woken by appends), response max.bytes and partition max bytes with the
/// first partition always getting at least one whole batch, isolation level (read_committed stops at the last
/// stable offset and lists aborted transactions), topic ids from v13. Fetch sessions (KIP-227): every request is
/// served as a full fetch and answered with session id 0, which clients treat as "no session" and keep sending
/// full requests. Versions 0-3 get the batches down-converted to magic 0 (v0-1) or magic 1 (v2-3).
/// Records go out with sendfile (v4+). Leaves out: follower fetches (replication), preferred read replicas.
struct FetchHandler: ApiHandler {
    let apiKey = ApiKey.fetch
    let versions: ClosedRange<Int16> = 0...18
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! FetchRequest
        let deadline = context.clock() + Int64(max(0, req.maxWaitMs))
        let minBytes = max(0, Int(req.minBytes))
        var partitions: Set<TopicPartition> = []
        for t in req.topics {
            let name = rc.apiVersion >= 13 ? context.image.topic(id: t.topicId)?.name : t.topic
            if let name { for p in t.partitions { partitions.insert(TopicPartition(name, p.partition)) } }
        }
        while true {
            let seen = context.replicas.notifier.appendCount(partitions)
            let (response, bytes, slices) = read(req, version: rc.apiVersion)
            let remaining = deadline - context.clock()
            if bytes >= minBytes || remaining <= 0 || response.errorCode != 0 {
                return slices.isEmpty ? .respond(response) : .respondWithFileSlices(response, slices)
            }
            for s in slices { close(s.descriptor) }
            await context.replicas.notifier.wait(for: partitions, since: seen, timeoutMs: remaining)
        }
    }

    private func read(_ req: FetchRequest, version: Int16) -> (FetchResponse, Int, [FileSlice]) {
        // Versions 4+ send the log's bytes as stored: straight from the segment file with sendfile (plaintext
        // listeners are the only ones there are). Older versions need the bytes in memory to down-convert them.
        let zeroCopy = version >= 4
        var slices: [FileSlice] = []
        let image = context.image
        let readCommitted = version >= 4 && req.isolationLevel == 1
        var budget = version >= 3 ? Int(req.maxBytes) : Int.max
        if budget <= 0 { budget = Int.max }
        var total = 0
        var first = true
        var response = FetchResponse()
        response.sessionId = 0
        for t in req.topics {
            var tr = FetchResponse.FetchableTopicResponse()
            tr.topic = t.topic
            tr.topicId = t.topicId
            let topic = version >= 13 ? image.topic(id: t.topicId) : image.topic(named: t.topic)
            for p in t.partitions {
                var pd = FetchResponse.PartitionData()
                pd.partitionIndex = p.partition
                guard let topic, topic.partitions[p.partition] != nil else {
                    pd.errorCode = (version >= 13 && topic == nil ? KafkaError.unknownTopicId : .unknownTopicOrPartition).code
                    tr.partitions.append(pd)
                    continue
                }
                let maxBytes = min(max(0, Int(p.partitionMaxBytes)), budget)
                let r = context.replicas.read(
                    TopicPartition(topic.name, p.partition), offset: p.fetchOffset, maxBytes: maxBytes,
                    readCommitted: readCommitted, minOneBatch: first, zeroCopy: zeroCopy)
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
                    pd.records = FileSlice.placeholder(slices.count)
                    slices.append(slice)
                    total += slice.length
                    budget = max(0, budget - slice.length)
                    first = false
                } else if var records = r.records, records.readableBytes > 0 {
                    if version < 4 { records = DownConverter.convert(records, fetchVersion: version) }
                    pd.records = records
                    total += records.readableBytes
                    budget = max(0, budget - records.readableBytes)
                    first = false
                } else {
                    pd.records = ByteBuffer()
                }
                tr.partitions.append(pd)
            }
            response.responses.append(tr)
        }
        return (response, total, slices)
    }
}
