import KafkaProtocol
import Testing

@testable import KafkaCoordinator

@Suite struct TxnInitProducerIdTests {
    @Test func newIdGetsEpochZeroAndReinitBumps() {
        var h = TxnHarness()
        let first = h.initPid("t1")
        #expect(first.errorCode == 0)
        #expect(first.producerId == 1_000)
        #expect(first.producerEpoch == 0)
        #expect(h.state("t1") == .empty)
        #expect(h.lastRecord?.value?.producerEpoch == 0)
        #expect(h.lastRecord?.value?.transactionTimeoutMs == 60_000)
        let second = h.initPid("t1", timeout: 30_000)
        #expect(second.producerId == 1_000)
        #expect(second.producerEpoch == 1)
        #expect(h.shard.transactions["t1"]?.timeoutMs == 30_000)
        // Another id gets another producer id.
        #expect(h.initPid("t2").producerId == 1_001)
    }

    @Test func invalidRequests() {
        var h = TxnHarness()
        #expect(h.initPid("").errorCode == KafkaError.invalidRequest.code)
        #expect(h.initPid("t", timeout: 900_001).errorCode == KafkaError.invalidTransactionTimeout.code)
        #expect(h.initPid("t", timeout: 0).errorCode == KafkaError.invalidTransactionTimeout.code)
        #expect(h.initPid("t", timeout: 900_000).errorCode == 0)
        #expect(h.log.count == 1)
    }

    @Test func kip360RetryAndFencing() {
        var h = TxnHarness()
        let a = h.initPid("t")
        // The producer re-inits with its id and epoch (KIP-360): bump.
        let b = h.initPid("t", pid: a.producerId, epoch: a.producerEpoch)
        #expect(b.errorCode == 0 && b.producerEpoch == 1)
        // The same request again (its answer was lost): the same epoch, no second bump.
        let retry = h.initPid("t", pid: a.producerId, epoch: a.producerEpoch)
        #expect(retry.errorCode == 0 && retry.producerEpoch == 1)
        // A stale epoch that is neither current nor the last one: fenced (INVALID_PRODUCER_EPOCH before v4).
        _ = h.initPid("t", pid: a.producerId, epoch: 1)  // -> 2, last 1
        #expect(h.initPid("t", pid: a.producerId, epoch: 0).errorCode == KafkaError.producerFenced.code)
        #expect(h.initPid("t", pid: a.producerId, epoch: 0, version: 3).errorCode == KafkaError.invalidProducerEpoch.code)
        // Another producer id entirely.
        #expect(h.initPid("t", pid: 77, epoch: 0).errorCode == KafkaError.producerFenced.code)
        // An init without id/epoch forgets the retry epoch (Kafka records none), so the old epoch is now fenced.
        _ = h.initPid("t")
        #expect(h.initPid("t", pid: a.producerId, epoch: 2).errorCode == KafkaError.producerFenced.code)
    }

    @Test func epochExhaustionRotatesProducerId() {
        var h = TxnHarness()
        let a = h.initPid("t")
        // Put the id at the last usable epoch through the log, as a long-lived id would be.
        var meta = h.shard.transactions["t"]!
        meta.producerEpoch = Int16.max - 1
        h.shard.replay(TransactionLogRecord(transactionalId: "t", value: meta.logValue()))
        let b = h.initPid("t", pid: a.producerId, epoch: Int16.max - 1)
        #expect(b.errorCode == 0)
        #expect(b.producerId != a.producerId)
        #expect(b.producerEpoch == 0)
        // Retrying with the exhausted old id and epoch gets the new id again (KIP-360).
        let retry = h.initPid("t", pid: a.producerId, epoch: Int16.max - 1)
        #expect(retry.errorCode == 0 && retry.producerId == b.producerId && retry.producerEpoch == 0)
    }

    @Test func ongoingTransactionIsAbortedFirst() {
        var h = TxnHarness()
        let a = h.initPid("t")
        #expect(h.add("t", a.producerId, 0, [("x", 0), ("y", 1)]) == 0)
        #expect(h.state("t") == .ongoing)
        // A new instance: the open transaction is aborted with a bumped epoch; the client must retry.
        #expect(h.initPid("t").errorCode == KafkaError.concurrentTransactions.code)
        #expect(h.state("t") == .prepareAbort)
        #expect(h.shard.transactions["t"]?.producerEpoch == 1)
        #expect(h.markers.count == 1)
        #expect(h.markers.first?.result == .abort)
        #expect(h.markers.first?.producerEpoch == 1)
        #expect(h.markers.first?.partitions == [TxnPartition("x", 0), TxnPartition("y", 1)])
        // The old producer is fenced.
        #expect(h.end("t", a.producerId, 0, commit: true, version: 1) == KafkaError.invalidProducerEpoch.code)
        #expect(h.end("t", a.producerId, 0, commit: true, version: 2) == KafkaError.producerFenced.code)
        // Retrying while the markers are written: still CONCURRENT_TRANSACTIONS.
        #expect(h.initPid("t").errorCode == KafkaError.concurrentTransactions.code)
        h.deliverMarkers()
        #expect(h.state("t") == .completeAbort)
        let b = h.initPid("t")
        #expect(b.errorCode == 0 && b.producerEpoch == 2)
    }

    /// A stale instance that still owes the epoch bump of its abort (KIP-360: InitProducerId with its producer id
    /// and old epoch) fences the current instance's open transaction. Kafka's prepareInitProducerIdTransit does the
    /// same: an Ongoing transaction is fenced whatever epoch the request names, once the producer id matches; the
    /// epoch is only checked when the stale instance retries. test_txn_crash must therefore destroy a finished
    /// round's producer before the next one starts.
    @Test func staleInstanceEpochBumpFencesTheOngoingTransaction() {
        var h = TxnHarness()
        let stale = h.initPid("t")
        let current = h.initPid("t")
        #expect(current.producerId == stale.producerId && current.producerEpoch == stale.producerEpoch + 1)
        #expect(h.add("t", current.producerId, current.producerEpoch, [("x", 0)]) == 0)
        #expect(h.state("t") == .ongoing)

        let bump = h.initPid("t", pid: stale.producerId, epoch: stale.producerEpoch)
        #expect(bump.errorCode == KafkaError.concurrentTransactions.code)
        #expect(h.state("t") == .prepareAbort)
        #expect(h.markers.map(\.producerEpoch) == [current.producerEpoch + 1])
        // The current instance is fenced: what librdkafka reports as "Failed to add partitions to transaction".
        #expect(h.add("t", current.producerId, current.producerEpoch, [("y", 0)]) == KafkaError.producerFenced.code)
        h.deliverMarkers()
        // The stale instance's retry is fenced too: its epoch is neither the current one nor a bump's retry.
        let retry = h.initPid("t", pid: stale.producerId, epoch: stale.producerEpoch)
        #expect(retry.errorCode == KafkaError.producerFenced.code)
    }

    @Test func emptyProducerIdPoolAsksTheDriver() {
        var h = TxnHarness(initialBlock: false, feedProducerIds: false)
        let id = h.send({ ctx in
            var r = InitProducerIdRequest()
            r.transactionalId = "t"
            r.transactionTimeoutMs = 1_000
            return .initProducerId(ctx, r)
        }, version: 4)
        #expect(h.take(id)?.errorCode == KafkaError.coordinatorLoadInProgress.code)
        #expect(h.log.isEmpty)
        h.apply(h.shard.handle(.producerIdsAllocated(5..<10), now: 0))
        let r = h.initPid("t")
        #expect(r.errorCode == 0 && r.producerId == 5)
    }
}
