import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing
@testable import KafkaServer

/// One partition a test fetch asks for.
struct FetchAsk: Equatable {
    var topic: String
    var partition: Int32
    var offset: Int64 = 0
    var maxBytes: Int32 = 1 << 20
}

/// Helpers for tests that produce through the wire and check Fetch answers against the log.
extension TestBroker {
    func createTopics(_ names: [String], partitions: Int32, client: TestClient) async throws {
        var create = CreateTopicsRequest()
        create.topics = names.map { name in
            var t = CreateTopicsRequest.CreatableTopic()
            t.name = name
            t.numPartitions = partitions
            t.replicationFactor = 1
            return t
        }
        let created = try #require(try await client.send(create, version: 4)?.body as? CreateTopicsResponse)
        #expect(created.topics.allSatisfy { $0.errorCode == 0 })
    }

    func topicId(_ name: String) throws -> KafkaUUID {
        try #require(broker.context.image.topic(named: name)?.id)
    }

    /// Produces one batch of `count` records (acks=all, Produce v9); returns the partition's error code.
    @discardableResult
    func produce(_ topic: String, _ partition: Int32, count: Int, tag: String, client: TestClient,
                 transactional: (id: String, pid: InitProducerIdResponse, sequence: Int32)? = nil) async throws -> Int16? {
        var builder = transactional.map {
            RecordBatchBuilder(producerId: $0.pid.producerId, producerEpoch: $0.pid.producerEpoch,
                               baseSequence: $0.sequence, isTransactional: true)
        } ?? RecordBatchBuilder()
        for i in 0..<count {
            try builder.append(timestamp: broker.context.clock(), key: ByteBuffer(string: "k\(i)"),
                               value: ByteBuffer(string: "\(tag)-\(topic)-\(partition)-\(i)"))
        }
        var p = ProduceRequest.PartitionProduceData()
        p.index = partition
        p.records = try builder.build()
        var td = ProduceRequest.TopicProduceData()
        td.name = topic
        td.partitionData = [p]
        var req = ProduceRequest()
        req.transactionalId = transactional?.id
        req.acks = -1
        req.timeoutMs = 5000
        req.topicData = [td]
        let resp = try await client.send(req, version: 9)?.body as? ProduceResponse
        return resp?.responses.first?.partitionResponses.first?.errorCode
    }

    /// What the log itself holds for a fetch of one partition: a read that does not go through the Fetch path.
    func directRead(_ topic: String, _ partition: Int32, offset: Int64, maxBytes: Int, readCommitted: Bool,
                    minOneBatch: Bool) -> ReplicaManager.ReadResult {
        broker.context.replicas.read(TopicPartition(topic, partition), offset: offset, maxBytes: maxBytes,
                                     readCommitted: readCommitted, minOneBatch: minOneBatch, zeroCopy: false)
    }

    /// A Fetch request listing `asks` in order: each run of consecutive asks for one topic is one topic entry, so a
    /// topic named again later gets an entry of its own (as librdkafka sends). By name below v13, by id from v13.
    func fetchRequest(_ asks: [FetchAsk], version: Int16, isolation: Int8, maxBytes: Int32 = 1 << 24) throws -> FetchRequest {
        var req = FetchRequest()
        req.maxWaitMs = 0
        req.maxBytes = maxBytes
        req.isolationLevel = isolation
        for run in consecutiveRuns(asks.map(\.topic)) {
            var ft = FetchRequest.FetchTopic()
            if version >= 13 { ft.topicId = try topicId(run.topic) } else { ft.topic = run.topic }
            ft.partitions = asks[run.range].map { a in
                var fp = FetchRequest.FetchPartition()
                fp.partition = a.partition
                fp.fetchOffset = a.offset
                fp.partitionMaxBytes = a.maxBytes
                return fp
            }
            req.topics.append(ft)
        }
        return req
    }

    /// Checks that the response has one topic entry per run of consecutive partitions of a topic, in request order
    /// (Kafka's FetchResponse), named as the request version names topics; returns the partitions in that order.
    func responsePartitions(_ resp: FetchResponse, asks: [FetchAsk], version: Int16,
                            _ label: String) throws -> [FetchResponse.PartitionData] {
        let runs = consecutiveRuns(asks.map(\.topic))
        #expect(resp.responses.count == runs.count, "\(label): topic entries")
        var out: [FetchResponse.PartitionData] = []
        for (run, entry) in zip(runs, resp.responses) {
            if version >= 13 {
                let id = try topicId(run.topic)
                #expect(entry.topicId == id && entry.topic == "", "\(label)")
            } else {
                #expect(entry.topic == run.topic, "\(label)")
            }
            #expect(entry.partitions.map(\.partitionIndex) == asks[run.range].map(\.partition), "\(label): \(run.topic)")
            out += entry.partitions
        }
        return out
    }
}

/// Runs of equal consecutive topic names: `[a, b, a, a]` is `a 0..<1, b 1..<2, a 2..<4`.
func consecutiveRuns(_ topics: [String]) -> [(topic: String, range: Range<Int>)] {
    var runs: [(topic: String, range: Range<Int>)] = []
    for (i, t) in topics.enumerated() {
        if let last = runs.last, last.topic == t {
            runs[runs.count - 1].range = last.range.lowerBound..<(i + 1)
        } else {
            runs.append((t, i..<(i + 1)))
        }
    }
    return runs
}

/// The records a Fetch answered for one partition are whole batches with valid CRCs, nothing left over.
func expectWholeBatches(_ records: ByteBuffer, _ label: String) {
    do {
        let (batches, rest) = try RecordBatchIterator.split(records)
        let valid = batches.allSatisfy(\.hasValidCRC)
        #expect(valid, "\(label): CRC")
        #expect(rest == nil, "\(label): \(rest?.readableBytes ?? 0) bytes after the last whole batch")
    } catch {
        Issue.record("\(label): records do not parse as batches: \(error)")
    }
}
