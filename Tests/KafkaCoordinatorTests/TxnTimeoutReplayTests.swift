import KafkaProtocol
import Testing

@testable import KafkaCoordinator

@Suite struct TxnTimeoutReplayTests {
    @Test func timedOutTransactionIsAbortedAndProducerFenced() {
        var h = TxnHarness()
        let p = h.initPid("t", timeout: 15_000).producerId
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        h.advance(by: 10_000)
        #expect(h.state("t") == .ongoing)
        h.advance(by: 10_000)  // sweep at 20 s: open 20 s > 15 s
        #expect(h.state("t") == .prepareAbort)
        #expect(h.shard.transactions["t"]?.producerEpoch == 1)
        #expect(h.markers.first?.result == .abort && h.markers.first?.producerEpoch == 1)
        h.deliverMarkers()
        #expect(h.state("t") == .completeAbort)
        // The producer that timed out is fenced.
        #expect(h.end("t", p, 0, commit: true, version: 3) == KafkaError.producerFenced.code)
        #expect(h.add("t", p, 0, [("x", 0)]) == KafkaError.producerFenced.code)
    }

    @Test func idleTransactionalIdsExpire() {
        var config = TransactionCoordinatorConfig()
        config.transactionalIdExpirationMs = 3_600_000
        var h = TxnHarness(config: config)
        _ = h.initPid("idle")
        let p = h.initPid("busy").producerId
        #expect(h.add("busy", p, 0, [("x", 0)]) == 0)
        h.advance(by: 3_600_000)
        #expect(h.shard.transactions["idle"] == nil)
        #expect(h.lastRecord?.isTombstone == true)
        #expect(h.lastRecord?.transactionalId == "idle")
        // An open transaction is not expired (it is aborted by its timeout instead).
        #expect(h.shard.transactions["busy"] != nil)
    }

    @Test func restartInPrepareReissuesMarkers() {
        var h = TxnHarness()
        let p = h.initPid("c").producerId
        let q = h.initPid("a").producerId
        #expect(h.add("c", p, 0, [("x", 0), ("x", 1)]) == 0)
        #expect(h.add("a", q, 0, [("y", 0)]) == 0)
        #expect(h.end("c", p, 0, commit: true) == 0)
        #expect(h.end("a", q, 0, commit: false) == 0)
        h.restart()  // the markers in flight are lost with the old coordinator
        #expect(h.markers.count == 2)
        let byId = Dictionary(uniqueKeysWithValues: h.markers.map { ($0.transactionalId, $0) })
        #expect(byId["c"]?.result == .commit && byId["c"]?.partitions == [TxnPartition("x", 0), TxnPartition("x", 1)])
        #expect(byId["a"]?.result == .abort && byId["a"]?.coordinatorEpoch == 1)
        h.deliverMarkers()
        #expect(h.state("c") == .completeCommit && h.state("a") == .completeAbort)
    }

    @Test func restartResumesTimeouts() {
        var h = TxnHarness()
        let p = h.initPid("t", timeout: 5_000).producerId
        #expect(h.add("t", p, 0, [("x", 0)]) == 0)
        h.restart()
        #expect(h.shard.timerDeadline(.abortTimedOutTransactions) != nil)
        h.advance(by: 10_000)
        #expect(h.state("t") == .prepareAbort)
    }

    @Test func replayRebuildsTheSameState() {
        var h = TxnHarness()
        for i in 0..<5 {
            let id = "t\(i)"
            let p = h.initPid(id).producerId
            #expect(h.add(id, p, 0, [("x", Int32(i))]) == 0)
            if i % 2 == 0 { #expect(h.end(id, p, 0, commit: i % 4 == 0) == 0) }
            if i == 0 { h.deliverMarkers() }
        }
        let before = h.shard.transactions.mapValues(persisted)
        h.restart()
        #expect(h.shard.transactions.mapValues(persisted) == before)
    }

    @Test func describeAndList() {
        var h = TxnHarness()
        let p = h.initPid("a").producerId
        let q = h.initPid("b").producerId
        h.now = 100
        #expect(h.add("a", p, 0, [("x", 0), ("y", 1)]) == 0)
        var d = DescribeTransactionsRequest()
        d.transactionalIds = ["a", "b", "missing"]
        let id = h.send({ .describeTransactions($0, d) }, version: 0)
        guard case .describeTransactions(let dr)? = h.take(id) else { Issue.record(); return }
        #expect(dr.transactionStates.map(\.transactionState) == ["Ongoing", "Empty", ""])
        #expect(dr.transactionStates[0].topics.map(\.topic) == ["x", "y"])
        #expect(dr.transactionStates[0].transactionStartTimeMs == 100)
        #expect(dr.transactionStates[2].errorCode == KafkaError.transactionalIdNotFound.code)

        func list(_ configure: (inout ListTransactionsRequest) -> Void, version: Int16 = 2) -> ListTransactionsResponse {
            var r = ListTransactionsRequest()
            configure(&r)
            let id = h.send({ .listTransactions($0, r) }, version: version)
            guard case .listTransactions(let lr)? = h.take(id) else { return .init() }
            return lr
        }
        #expect(list { _ in }.transactionStates.map(\.transactionalId) == ["a", "b"])
        let ongoing = list { $0.stateFilters = ["Ongoing", "Bogus"] }
        #expect(ongoing.transactionStates.map(\.transactionalId) == ["a"])
        #expect(ongoing.unknownStateFilters == ["Bogus"])
        #expect(list { $0.producerIdFilters = [q] }.transactionStates.map(\.transactionalId) == ["b"])
        h.now = 5_000
        // KIP-994: running longer than the duration (an Empty id has no start, so it always qualifies, as in Kafka).
        #expect(list { $0.stateFilters = ["Ongoing"]; $0.durationFilter = 4_000 }.transactionStates.count == 1)
        #expect(list { $0.stateFilters = ["Ongoing"]; $0.durationFilter = 6_000 }.transactionStates.isEmpty)
        #expect(list { $0.transactionalIdPattern = "b.*" }.transactionStates.map(\.transactionalId) == ["b"])
        #expect(list { $0.transactionalIdPattern = "(" }.errorCode == KafkaError.invalidRequest.code)
    }
}

/// The fields a record persists (the KIP-360 retry bookkeeping is in memory only).
private func persisted(_ m: TransactionMetadata) -> TransactionMetadata {
    var m = m
    m.lastProducerId = -1
    m.lastProducerEpoch = -1
    return m
}
