import KafkaProtocol
import Testing

@testable import KafkaCoordinator

@Suite struct TxnAddPartitionsTests {
    @Test func addStartsTheTransaction() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        h.now = 500
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        #expect(h.state("t") == .ongoing)
        #expect(h.shard.transactions["t"]?.startTimestamp == 500)
        h.now = 600
        #expect(h.add("t", p, 0, [("x", 1), ("y", 0)]) == 0)
        let v = h.lastRecord!.value!
        #expect(v.transactionStatus == TransactionState.ongoing.rawValue)
        #expect(v.transactionStartTimestampMs == 500)
        #expect(v.transactionLastUpdateTimestampMs == 600)
        #expect(v.transactionPartitions?.map(\.topic) == ["x", "y"])
        #expect(v.transactionPartitions?.first?.partitionIds == [0, 1])
        // Already in the transaction: answered without a write.
        let count = h.log.count
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        #expect(h.log.count == count)
    }

    @Test func errors() {
        var h = TxnHarness()
        #expect(h.add("nope", 1, 0, [("x", 0)]) == KafkaError.invalidProducerIdMapping.code)
        #expect(h.add("", 1, 0, [("x", 0)]) == KafkaError.invalidRequest.code)
        let p = h.initPid("t").producerId
        #expect(h.add("t", p + 1, 0, [("x", 0)]) == KafkaError.invalidProducerIdMapping.code)
        #expect(h.add("t", p, 5, [("x", 0)], version: 1) == KafkaError.invalidProducerEpoch.code)
        #expect(h.add("t", p, 5, [("x", 0)], version: 2) == KafkaError.producerFenced.code)
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        #expect(h.end("t", p, 0, commit: true) == 0)
        // Markers not written yet.
        #expect(h.add("t", p, 0, [("x", 1)]) == KafkaError.concurrentTransactions.code)
        h.deliverMarkers()
        // The next transaction starts from no partitions.
        #expect(h.add("t", p, 0, [("z", 3)]) == 0)
        #expect(h.shard.transactions["t"]?.partitions == [TxnPartition("z", 3)])
    }

    @Test func batchedAndVerifyOnly() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        #expect(h.addBatched("t", p, 0, [("x", 0), ("x", 1)], verifyOnly: false) == [0, 0])
        #expect(h.state("t") == .ongoing)
        let count = h.log.count
        // KIP-890 part 1: a partition leader checks before accepting a transactional write.
        #expect(h.addBatched("t", p, 0, [("x", 0), ("y", 0)], verifyOnly: true) == [0, KafkaError.transactionAbortable.code])
        #expect(h.addBatched("t", p, 0, [("y", 0)], verifyOnly: true, version: 4) == [KafkaError.invalidTxnState.code])
        #expect(h.addBatched("t", p, 1, [("x", 0)], verifyOnly: true) == [KafkaError.producerFenced.code])
        #expect(h.log.count == count)
        // Several transactions in one request, answered each.
        let q = h.initPid("u").producerId
        var a = AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction()
        a.transactionalId = "u"
        a.producerId = q
        a.producerEpoch = 0
        var topic = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
        topic.name = "z"
        topic.partitions = [2]
        a.topics = [topic]
        var b = a
        b.transactionalId = "missing"
        var req = AddPartitionsToTxnRequest()
        req.transactions = [a, b]
        let id = h.send({ .addPartitionsToTxn($0, req) }, version: 4)
        guard case .addPartitionsToTxn(let resp)? = h.take(id) else { Issue.record(); return }
        #expect(resp.resultsByTransaction.map(\.transactionalId) == ["u", "missing"])
        #expect(resp.resultsByTransaction[0].topicResults[0].resultsByPartition[0].partitionErrorCode == 0)
        #expect(resp.resultsByTransaction[1].topicResults[0].resultsByPartition[0].partitionErrorCode == KafkaError.invalidProducerIdMapping.code)
        #expect(h.state("u") == .ongoing)
    }

    @Test func addOffsetsAddsTheGroupsOffsetsPartition() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        #expect(h.addOffsets("t", p, 0, group: "my-group") == 0)
        let n = offsetsPartition(forGroup: "my-group", partitionCount: 50)
        #expect(h.shard.transactions["t"]?.partitions == [TxnPartition("__consumer_offsets", n)])
        #expect(h.addOffsets("t", p, 3, group: "g", version: 1) == KafkaError.invalidProducerEpoch.code)
        #expect(h.addOffsets("t", p, 3, group: "g", version: 2) == KafkaError.producerFenced.code)
        #expect(h.end("t", p, 0, commit: true) == 0)
        #expect(h.markers.first?.groupIds == ["my-group"])
        #expect(h.markers.first?.partitions == [TxnPartition("__consumer_offsets", n)])
    }

    @Test func groupPlacementMatchesJava() {
        // Java: "my-group".hashCode() == 1_507_404_227 (computed over UTF-16 as String.hashCode does).
        var h: Int32 = 0
        for u in "my-group".utf16 { h = h &* 31 &+ Int32(u) }
        #expect(offsetsPartition(forGroup: "my-group", partitionCount: 50) == abs(h) % 50)
        #expect(offsetsPartition(forGroup: "", partitionCount: 50) == 0)
    }
}
