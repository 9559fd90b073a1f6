import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// KIP-890 part 1: a transactional produce to a partition its transaction did not add is refused with
/// INVALID_TXN_STATE; after AddPartitionsToTxn it is appended.
@Suite(.serialized) struct TransactionVerificationTests {
    @Test func produceOutsideTheTransactionIsRefused() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var create = CreateTopicsRequest()
        var t = CreateTopicsRequest.CreatableTopic()
        t.name = "txv"
        t.numPartitions = 1
        t.replicationFactor = 1
        create.topics = [t]
        _ = try await client.send(create, version: 4)

        var initRequest = InitProducerIdRequest()
        initRequest.transactionalId = "txv-1"
        initRequest.transactionTimeoutMs = 60_000
        var ids: InitProducerIdResponse? = nil
        for _ in 0..<50 {
            let r = try #require(try await client.send(initRequest, version: 3)?.body as? InitProducerIdResponse)
            if r.errorCode == 0 { ids = r; break }
            #expect(r.errorCode == KafkaError.coordinatorLoadInProgress.code || r.errorCode == KafkaError.concurrentTransactions.code)
            try await Task.sleep(for: .milliseconds(50))
        }
        let pid = try #require(ids)

        func produce() async throws -> Int16? {
            var builder = RecordBatchBuilder(producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: 0, isTransactional: true)
            try builder.append(timestamp: tb.broker.context.clock(), key: nil, value: ByteBuffer(string: "x"))
            var p = ProduceRequest.PartitionProduceData()
            p.index = 0
            p.records = try builder.build()
            var td = ProduceRequest.TopicProduceData()
            td.name = "txv"
            td.partitionData = [p]
            var req = ProduceRequest()
            req.transactionalId = "txv-1"
            req.acks = -1
            req.timeoutMs = 1000
            req.topicData = [td]
            let resp = try await client.send(req, version: 3)?.body as? ProduceResponse
            return resp?.responses.first?.partitionResponses.first?.errorCode
        }
        #expect(try await produce() == KafkaError.invalidTxnState.code)

        var add = AddPartitionsToTxnRequest()
        add.v3AndBelowTransactionalId = "txv-1"
        add.v3AndBelowProducerId = pid.producerId
        add.v3AndBelowProducerEpoch = pid.producerEpoch
        var at = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
        at.name = "txv"
        at.partitions = [0]
        add.v3AndBelowTopics = [at]
        let added = try #require(try await client.send(add, version: 3)?.body as? AddPartitionsToTxnResponse)
        #expect(added.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == 0)
        #expect(try await produce() == 0)

        // The open transaction holds the last stable offset at its first record; an ABORT marker written through
        // WriteTxnMarkers closes it, and the LSO passes the record and the marker.
        func lastStableOffset() async throws -> Int64? {
            var lp = ListOffsetsRequest.ListOffsetsPartition()
            lp.partitionIndex = 0
            lp.timestamp = -1
            var lt = ListOffsetsRequest.ListOffsetsTopic()
            lt.name = "txv"
            lt.partitions = [lp]
            var req = ListOffsetsRequest()
            req.isolationLevel = 1
            req.topics = [lt]
            return (try await client.send(req, version: 5)?.body as? ListOffsetsResponse)?.topics.first?.partitions.first?.offset
        }
        #expect(try await lastStableOffset() == 0)
        var marker = WriteTxnMarkersRequest.WritableTxnMarker()
        marker.producerId = pid.producerId
        marker.producerEpoch = pid.producerEpoch
        marker.transactionResult = false
        var mt = WriteTxnMarkersRequest.WritableTxnMarkerTopic()
        mt.name = "txv"
        mt.partitionIndexes = [0]
        marker.topics = [mt]
        var write = WriteTxnMarkersRequest()
        write.markers = [marker]
        let written = try #require(try await client.send(write, version: 1)?.body as? WriteTxnMarkersResponse)
        #expect(written.markers.first?.topics.first?.partitions.first?.errorCode == 0)
        #expect(try await lastStableOffset() == 2)
        await tb.stop()
    }
}
