import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing
@testable import KafkaServer

/// Fetch requests that name a topic more than once, apart (A0, B0, A1, B1: what librdkafka sends for two subscribed
/// two-partition topics). Kafka answers with one topic entry per run of consecutive partitions, in request order
/// (FetchResponse.toMessage), and every partition's records are its own log's bytes.
@Suite(.serialized) struct FetchTopicOrderTests {
    static let topics = ["order-a", "order-b"]
    static let interleaved = [FetchAsk(topic: "order-a", partition: 0), FetchAsk(topic: "order-b", partition: 0),
                              FetchAsk(topic: "order-a", partition: 1), FetchAsk(topic: "order-b", partition: 1)]

    @Test func interleavedTopicsInEveryVersionAndIsolation() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        let pid = try await Self.produceHistory(tb, client)
        let versions = try #require(try await client.send(ApiVersionsRequest(), version: 3)?.body as? ApiVersionsResponse)
        let maxFetch = try #require(versions.apiKeys.first { $0.apiKey == ApiKey.fetch.rawValue }?.maxVersion)
        #expect(maxFetch >= 13)
        for version in Int16(4)...maxFetch {
            for isolation: Int8 in [0, 1] {
                let label = "v\(version) isolation \(isolation)"
                let req = try tb.fetchRequest(Self.interleaved, version: version, isolation: isolation)
                let resp = try #require(try await client.send(req, version: version)?.body as? FetchResponse, "\(label)")
                let partitions = try tb.responsePartitions(resp, asks: Self.interleaved, version: version, label)
                for (ask, pd) in zip(Self.interleaved, partitions) {
                    try Self.check(pd, ask: ask, isolation: isolation, pid: pid, tb: tb, "\(label) \(ask.topic)-\(ask.partition)")
                }
            }
        }
        await tb.stop()
    }

    /// An incremental session (KIP-227) whose partitions were added A0, B0 and then A1, B1 answers in the session's
    /// order, so with the same runs as a full request listing them that way.
    @Test func incrementalSessionKeepsSessionOrder() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        let pid = try await Self.produceHistory(tb, client)
        for version: Int16 in [12, 13] {
            var first = try tb.fetchRequest(Array(Self.interleaved[0..<2]), version: version, isolation: 1)
            first.sessionEpoch = 0
            let opened = try #require(try await client.send(first, version: version)?.body as? FetchResponse)
            #expect(opened.errorCode == 0 && opened.sessionId != 0, "v\(version)")
            var next = try tb.fetchRequest(Array(Self.interleaved[2..<4]), version: version, isolation: 1)
            next.sessionId = opened.sessionId
            next.sessionEpoch = 1
            let resp = try #require(try await client.send(next, version: version)?.body as? FetchResponse)
            #expect(resp.errorCode == 0 && resp.sessionId == opened.sessionId, "v\(version)")
            let partitions = try tb.responsePartitions(resp, asks: Self.interleaved, version: version, "v\(version) incremental")
            for (ask, pd) in zip(Self.interleaved, partitions) {
                try Self.check(pd, ask: ask, isolation: 1, pid: pid, tb: tb, "v\(version) incremental \(ask.topic)-\(ask.partition)")
            }
        }
        await tb.stop()
    }

    /// One partition's answer: no error, whole batches equal to the log's bytes from offset 0 (up to the last stable
    /// offset for read_committed), and the aborted transactions the log has for it.
    static func check(_ pd: FetchResponse.PartitionData, ask: FetchAsk, isolation: Int8, pid: Int64, tb: TestBroker,
                      _ label: String) throws {
        #expect(pd.errorCode == 0, "\(label)")
        let direct = tb.directRead(ask.topic, ask.partition, offset: 0, maxBytes: 1 << 24, readCommitted: isolation == 1,
                                   minOneBatch: true)
        let expected = try #require(direct.records, "\(label): the log has data")
        let records = try #require(pd.records, "\(label): records")
        #expect(records == expected, "\(label): \(records.readableBytes) bytes, the log has \(expected.readableBytes)")
        expectWholeBatches(records, label)
        #expect(pd.highWatermark == direct.highWatermark && pd.lastStableOffset == direct.lastStableOffset, "\(label)")
        let aborted = (pd.abortedTransactions ?? []).map { [$0.producerId, $0.firstOffset] }
        if isolation == 1 {
            // The aborted transaction touched every partition but order-b 0 (see produceHistory).
            let expectedAborted: [[Int64]] = ask.topic == "order-b" && ask.partition == 0 ? [] : [[pid, 3]]
            #expect(aborted == expectedAborted, "\(label): aborted transactions")
            #expect(aborted == (direct.abortedTransactions ?? []).map { [$0.producerId, $0.firstOffset] }, "\(label)")
        } else {
            #expect(aborted.isEmpty, "\(label): aborted transactions")
        }
    }

    /// On each of the four partitions: 3 plain records (offsets 0-2); a transaction that is aborted (2 records at
    /// 3-4 and the marker at 5, on every partition but order-b 0); a committed transaction (1 record and its
    /// marker); 2 plain records; and on order-b 1 a transaction left open, which read_committed stops before.
    /// Returns the transactional producer id.
    static func produceHistory(_ tb: TestBroker, _ client: TestClient) async throws -> Int64 {
        try await tb.createTopics(topics, partitions: 2, client: client)
        let all = topics.flatMap { t in [Int32(0), 1].map { FetchAsk(topic: t, partition: $0) } }
        for tp in all {
            #expect(try await tb.produce(tp.topic, tp.partition, count: 3, tag: "plain", client: client) == 0)
        }
        let txnId = "order-txn"
        let pid = try await initTransactions(txnId, client)
        var sequence: [String: Int32] = [:]
        func transaction(_ partitions: [FetchAsk], count: Int, commit: Bool?) async throws {
            try await addPartitions(txnId, pid, partitions, client)
            for tp in partitions {
                let key = "\(tp.topic)-\(tp.partition)"
                let error = try await tb.produce(tp.topic, tp.partition, count: count, tag: "txn", client: client,
                                                 transactional: (txnId, pid, sequence[key, default: 0]))
                #expect(error == 0, "transactional produce to \(key)")
                sequence[key, default: 0] += Int32(count)
            }
            guard let commit else { return }
            try await endTransaction(txnId, pid, commit: commit, client)
            try await waitForMarkers(tb, partitions)
        }
        try await transaction(all.filter { !($0.topic == "order-b" && $0.partition == 0) }, count: 2, commit: false)
        try await transaction(all, count: 1, commit: true)
        for tp in all {
            #expect(try await tb.produce(tp.topic, tp.partition, count: 2, tag: "after", client: client) == 0)
        }
        try await transaction([FetchAsk(topic: "order-b", partition: 1)], count: 1, commit: nil)
        return pid.producerId
    }

    static func initTransactions(_ txnId: String, _ client: TestClient) async throws -> InitProducerIdResponse {
        var req = InitProducerIdRequest()
        req.transactionalId = txnId
        req.transactionTimeoutMs = 60_000
        for _ in 0..<100 {
            let r = try #require(try await client.send(req, version: 3)?.body as? InitProducerIdResponse)
            if r.errorCode == 0 { return r }
            #expect(retriable(r.errorCode), "InitProducerId: error \(r.errorCode)")
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProtocolError.invalid("InitProducerId did not succeed")
    }

    static func addPartitions(_ txnId: String, _ pid: InitProducerIdResponse, _ partitions: [FetchAsk],
                              _ client: TestClient) async throws {
        var req = AddPartitionsToTxnRequest()
        req.v3AndBelowTransactionalId = txnId
        req.v3AndBelowProducerId = pid.producerId
        req.v3AndBelowProducerEpoch = pid.producerEpoch
        req.v3AndBelowTopics = consecutiveRuns(partitions.map(\.topic)).map { run in
            var t = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
            t.name = run.topic
            t.partitions = partitions[run.range].map(\.partition)
            return t
        }
        for _ in 0..<100 {
            let r = try #require(try await client.send(req, version: 3)?.body as? AddPartitionsToTxnResponse)
            let codes = r.resultsByTopicV3AndBelow.flatMap { $0.resultsByPartition.map(\.partitionErrorCode) }
            if codes.allSatisfy({ $0 == 0 }) { return }
            #expect(codes.allSatisfy(retriable), "AddPartitionsToTxn: errors \(codes)")
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProtocolError.invalid("AddPartitionsToTxn did not succeed")
    }

    static func endTransaction(_ txnId: String, _ pid: InitProducerIdResponse, commit: Bool, _ client: TestClient) async throws {
        var req = EndTxnRequest()
        req.transactionalId = txnId
        req.producerId = pid.producerId
        req.producerEpoch = pid.producerEpoch
        req.committed = commit
        for _ in 0..<100 {
            let r = try #require(try await client.send(req, version: 3)?.body as? EndTxnResponse)
            if r.errorCode == 0 { return }
            #expect(retriable(r.errorCode), "EndTxn: error \(r.errorCode)")
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProtocolError.invalid("EndTxn did not succeed")
    }

    /// The markers are written after EndTxn answers; a partition's last stable offset reaches its end with them.
    static func waitForMarkers(_ tb: TestBroker, _ partitions: [FetchAsk]) async throws {
        for _ in 0..<200 {
            let open = try partitions.filter { tp in
                let handle = try #require(try tb.broker.context.replicas.logs.log(TopicPartition(tp.topic, tp.partition), now: tb.broker.context.clock()))
                return try handle.withLog { $0.lastStableOffset < $0.logEndOffset }
            }
            if open.isEmpty { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw ProtocolError.invalid("transaction markers were not written")
    }

    static func retriable(_ code: Int16) -> Bool {
        [KafkaError.coordinatorLoadInProgress, .concurrentTransactions, .notCoordinator].map(\.code).contains(code)
    }
}
