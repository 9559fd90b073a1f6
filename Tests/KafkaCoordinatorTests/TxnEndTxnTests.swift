import KafkaProtocol
import Testing

@testable import KafkaCoordinator

@Suite struct TxnEndTxnTests {
    @Test func commitWritesPrepareThenComplete() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        #expect(h.add("t", p, 0, [("x", 0), ("y", 2)]) == 0)
        h.now = 1_000
        // The answer comes with the PREPARE record, before the markers are written.
        #expect(h.end("t", p, 0, commit: true) == 0)
        #expect(h.state("t") == .prepareCommit)
        #expect(h.markers.count == 1)
        let m = h.markers[0]
        #expect(m.result == .commit && m.producerId == p && m.producerEpoch == 0 && m.coordinatorEpoch == 0)
        #expect(m.partitions == [TxnPartition("x", 0), TxnPartition("y", 2)])
        // While markers are written.
        #expect(h.end("t", p, 0, commit: true) == KafkaError.concurrentTransactions.code)
        #expect(h.end("t", p, 0, commit: false) == KafkaError.invalidTxnState.code)
        h.now = 2_000
        h.deliverMarkers()
        #expect(h.state("t") == .completeCommit)
        let v = h.lastRecord!.value!
        #expect(v.transactionPartitions?.isEmpty == true)
        #expect(v.transactionLastUpdateTimestampMs == 2_000)
        // A retry after completion succeeds; the opposite outcome does not.
        #expect(h.end("t", p, 0, commit: true) == 0)
        #expect(h.end("t", p, 0, commit: false) == KafkaError.invalidTxnState.code)
    }

    @Test func abortAndErrors() {
        var h = TxnHarness()
        #expect(h.end("t", 1, 0, commit: true) == KafkaError.invalidProducerIdMapping.code)
        let p = h.initPid("t").producerId
        #expect(h.end("t", p, 0, commit: true) == KafkaError.invalidTxnState.code)
        #expect(h.end("", p, 0, commit: true) == KafkaError.invalidRequest.code)
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        #expect(h.end("t", p + 1, 0, commit: true) == KafkaError.invalidProducerIdMapping.code)
        #expect(h.end("t", p, 1, commit: true, version: 1) == KafkaError.invalidProducerEpoch.code)
        #expect(h.end("t", p, 1, commit: true, version: 2) == KafkaError.producerFenced.code)
        #expect(h.end("t", p, 0, commit: false) == 0)
        #expect(h.state("t") == .prepareAbort)
        #expect(h.end("t", p, 0, commit: false) == KafkaError.concurrentTransactions.code)
        h.deliverMarkers()
        #expect(h.state("t") == .completeAbort)
        #expect(h.end("t", p, 0, commit: false) == 0)
    }

    @Test func staleMarkerReportsAreIgnored() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        #expect(h.end("t", p, 0, commit: true) == 0)
        let count = h.log.count
        h.apply(h.shard.handle(.markersWritten(transactionalId: "t", producerId: p, producerEpoch: 0, result: .abort), now: 0))
        h.apply(h.shard.handle(.markersWritten(transactionalId: "t", producerId: p, producerEpoch: 7, result: .commit), now: 0))
        h.apply(h.shard.handle(.markersWritten(transactionalId: "other", producerId: p, producerEpoch: 0, result: .commit), now: 0))
        #expect(h.log.count == count)
        h.deliverMarkers()
        h.deliverMarkers()
        #expect(h.log.count == count + 1)
        #expect(h.state("t") == .completeCommit)
    }

    @Test func endTxnV5CarriesIdAndEpoch() {
        var h = TxnHarness()
        let p = h.initPid("t").producerId
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        var r = EndTxnRequest()
        r.transactionalId = "t"
        r.producerId = p
        r.producerEpoch = 0
        r.committed = true
        let id = h.send({ .endTxn($0, r) }, version: 5)
        guard case .endTxn(let resp)? = h.take(id) else { Issue.record(); return }
        #expect(resp.errorCode == 0 && resp.producerId == p && resp.producerEpoch == 0)
    }
}
