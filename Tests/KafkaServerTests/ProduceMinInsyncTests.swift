import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// min.insync.replicas on one node, as Kafka enforces it: its ISR is that node alone, so a topic asking for two
/// in-sync replicas refuses acks=all before appending, and takes acks=1.
@Suite struct ProduceMinInsyncTests {
    @Test func acksAllNeedsMinInsyncReplicas() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var create = CreateTopicsRequest()
        var t = CreateTopicsRequest.CreatableTopic()
        t.name = "min-isr"
        t.numPartitions = 1
        t.replicationFactor = 1
        var c = CreateTopicsRequest.CreatableTopicConfig()
        c.name = "min.insync.replicas"
        c.value = "2"
        t.configs = [c]
        create.topics = [t]
        let created = try #require(try await client.send(create, version: 4)?.body as? CreateTopicsResponse)
        #expect(created.topics.first?.errorCode == 0)
        // TestBroker.produce sends acks=all.
        #expect(try await tb.produce("min-isr", 0, count: 2, tag: "x", client: client) == KafkaError.notEnoughReplicas.code)
        // Nothing was appended.
        #expect(tb.directRead("min-isr", 0, offset: 0, maxBytes: 1 << 20, readCommitted: false, minOneBatch: true).highWatermark == 0)
        // acks=1 is not held to it.
        var builder = RecordBatchBuilder()
        try builder.append(timestamp: 0, key: nil, value: ByteBuffer(string: "one"))
        var p = ProduceRequest.PartitionProduceData()
        p.index = 0
        p.records = try builder.build()
        var td = ProduceRequest.TopicProduceData()
        td.name = "min-isr"
        td.partitionData = [p]
        var req = ProduceRequest()
        req.acks = 1
        req.timeoutMs = 5000
        req.topicData = [td]
        let resp = try #require(try await client.send(req, version: 9)?.body as? ProduceResponse)
        #expect(resp.responses.first?.partitionResponses.first?.errorCode == 0)
        await tb.stop()
    }
}
