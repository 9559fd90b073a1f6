import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

extension Harness {
    /// TxnOffsetCommit; returns the partition error codes in request order.
    mutating func txnCommit(
        _ group: String = "g", producerId: Int64 = 1000, epoch: Int16 = 0, member: String = "", generation: Int32 = -1,
        instance: String? = nil, offsets: [(String, Int32, Int64)], metadata: String = "", version: Int16 = 3
    ) -> [Int16] {
        var r = TxnOffsetCommitRequest()
        r.transactionalId = "tx"
        r.groupId = group
        r.producerId = producerId
        r.producerEpoch = epoch
        r.memberId = member
        r.generationId = generation
        r.groupInstanceId = instance
        for (topic, partition, offset) in offsets {
            var p = TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition()
            p.partitionIndex = partition
            p.committedOffset = offset
            p.committedMetadata = metadata
            if let i = r.topics.firstIndex(where: { $0.name == topic }) {
                r.topics[i].partitions.append(p)
            } else {
                var t = TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic()
                t.name = topic
                t.partitions = [p]
                r.topics.append(t)
            }
        }
        let id = send({ .txnOffsetCommit($0, r) }, version: version)
        guard case .txnOffsetCommit(let resp)? = take(id) else { Issue.record("no TxnOffsetCommit reply"); return [] }
        return resp.topics.flatMap { $0.partitions.map(\.errorCode) }
    }

    mutating func endTxn(producerId: Int64 = 1000, epoch: Int16 = 0, commit: Bool) {
        apply(shard.handle(.transactionCompleted(producerId: producerId, producerEpoch: epoch, committed: commit), now: now))
    }

    /// OffsetFetch with require_stable at `version`: partition → (offset, error).
    mutating func stableFetch(_ group: String = "g", topics: [(String, [Int32])]?, version: Int16 = 8) -> [String: [Int32: (Int64, Int16)]] {
        var r = OffsetFetchRequest()
        r.requireStable = true
        let requested = topics.map { $0.map { name, parts in (name, parts) } }
        if version < 8 {
            r.groupId = group
            r.topics = requested.map { $0.map { name, parts in
                var t = OffsetFetchRequest.OffsetFetchRequestTopic()
                t.name = name
                t.partitionIndexes = parts
                return t
            } }
        } else {
            var g = OffsetFetchRequest.OffsetFetchRequestGroup()
            g.groupId = group
            g.topics = requested.map { $0.map { name, parts in
                var t = OffsetFetchRequest.OffsetFetchRequestTopics()
                t.name = name
                t.partitionIndexes = parts
                return t
            } }
            r.groups = [g]
        }
        let id = send({ .offsetFetch($0, r) }, version: version)
        guard case .offsetFetch(let resp)? = take(id) else { Issue.record("no fetch reply"); return [:] }
        var out: [String: [Int32: (Int64, Int16)]] = [:]
        if version < 8 {
            for t in resp.topics { for p in t.partitions { out[t.name, default: [:]][p.partitionIndex] = (p.committedOffset, p.errorCode) } }
        } else {
            for t in resp.groups[0].topics { for p in t.partitions { out[t.name, default: [:]][p.partitionIndex] = (p.committedOffset, p.errorCode) } }
        }
        return out
    }
}

@Suite struct TxnOffsetCommitTests {
    @Test func pendingUntilCommitMarker() {
        var h = Harness()
        #expect(h.txnCommit(offsets: [("t", 0, 10), ("t", 1, 20)]) == [0, 0])
        // Written as one transactional batch of the producer.
        #expect(h.log.count == 2)
        #expect(h.shard.pendingTransactionalOffsets.isPending(group: "g", topic: "t", partition: 0))
        // Not visible before the marker: plain fetch shows nothing, require_stable says unstable.
        #expect(h.fetch(topics: [("t", [0, 1])])["t"]?[0]?.0 == -1)
        let unstable = h.stableFetch(topics: [("t", [0, 1, 2])])
        #expect(unstable["t"]?[0]?.1 == code(.unstableOffsetCommit))
        #expect(unstable["t"]?[1]?.1 == code(.unstableOffsetCommit))
        #expect(unstable["t"]?[2]?.1 == 0)
        #expect(h.stableFetch(topics: [("t", [0])], version: 7)["t"]?[0]?.1 == code(.unstableOffsetCommit))
        h.endTxn(commit: true)
        #expect(h.shard.pendingTransactionalOffsets.isEmpty)
        #expect(h.fetch(topics: [("t", [0, 1])])["t"]?[0]?.0 == 10)
        #expect(h.fetch(topics: [("t", [0, 1])])["t"]?[1]?.0 == 20)
        #expect(h.stableFetch(topics: [("t", [0])])["t"]?[0]?.1 == 0)
        #expect(h.group?.state == .empty)
    }

    @Test func abortDropsPendingOffsets() {
        var h = Harness()
        _ = h.commit(offsets: [("t", 0, 5)])
        #expect(h.txnCommit(offsets: [("t", 0, 10)]) == [0])
        h.endTxn(commit: false)
        #expect(h.fetch(topics: [("t", [0])])["t"]?[0]?.0 == 5)
        #expect(h.shard.pendingTransactionalOffsets.isEmpty)
        // Another producer's marker does not touch this producer's offsets.
        #expect(h.txnCommit(producerId: 7, offsets: [("t", 0, 11)]) == [0])
        h.endTxn(producerId: 8, commit: true)
        #expect(h.fetch(topics: [("t", [0])])["t"]?[0]?.0 == 5)
        h.endTxn(producerId: 7, commit: true)
        #expect(h.fetch(topics: [("t", [0])])["t"]?[0]?.0 == 11)
    }

    @Test func laterRegularCommitWins() {
        var h = Harness()
        #expect(h.txnCommit(offsets: [("t", 0, 10), ("t", 1, 10)]) == [0, 0])
        _ = h.commit(offsets: [("t", 0, 50)])
        h.endTxn(commit: true)
        // The regular commit was written after the transactional one: it stays.
        #expect(h.fetch(topics: [("t", [0, 1])])["t"]?[0]?.0 == 50)
        #expect(h.fetch(topics: [("t", [0, 1])])["t"]?[1]?.0 == 10)
        // A transactional commit written after a regular one replaces it.
        _ = h.commit(offsets: [("t", 0, 60)])
        #expect(h.txnCommit(offsets: [("t", 0, 70)]) == [0])
        h.endTxn(commit: true)
        #expect(h.fetch(topics: [("t", [0])])["t"]?[0]?.0 == 70)
    }

    @Test func tombstoneDropsPendingOffset() {
        var h = Harness()
        _ = h.commit(offsets: [("t", 0, 5)])
        #expect(h.txnCommit(offsets: [("t", 0, 10)]) == [0])
        var d = OffsetDeleteRequest()
        d.groupId = "g"
        var t = OffsetDeleteRequest.OffsetDeleteRequestTopic()
        t.name = "t"
        var p = OffsetDeleteRequest.OffsetDeleteRequestPartition()
        p.partitionIndex = 0
        t.partitions = [p]
        d.topics = [t]
        _ = h.take(h.send({ .offsetDelete($0, d) }, version: 0))
        #expect(!h.shard.pendingTransactionalOffsets.isPending(group: "g", topic: "t", partition: 0))
        h.endTxn(commit: true)
        #expect(h.fetch(topics: [("t", [0])])["t"]?[0]?.0 == -1)
    }

    @Test func memberAndGenerationValidation() {
        var (h, m1, _, gen) = stableGroup()
        #expect(h.txnCommit(member: m1, generation: gen, offsets: [("t", 0, 1)]) == [0])
        #expect(h.txnCommit(member: m1, generation: gen + 1, offsets: [("t", 0, 1)]) == [code(.illegalGeneration)])
        #expect(h.txnCommit(member: "nobody", generation: gen, offsets: [("t", 0, 1)]) == [code(.unknownMemberId)])
        // Older versions name neither member nor generation: accepted even though the group has members.
        #expect(h.txnCommit(offsets: [("t", 0, 2)], version: 2) == [0])
        // A group this coordinator does not know, with a generation: ILLEGAL_GENERATION.
        #expect(h.txnCommit("other", generation: 3, offsets: [("t", 0, 1)]) == [code(.illegalGeneration)])
        #expect(h.txnCommit("", offsets: [("t", 0, 1)]) == [code(.invalidGroupId)])
        var cfg = GroupCoordinatorConfig()
        cfg.offsetMetadataMaxBytes = 2
        var small = Harness(config: cfg)
        #expect(small.txnCommit(offsets: [("t", 0, 1)], metadata: "abc") == [code(.offsetMetadataTooLarge)])
        #expect(small.log.isEmpty)
    }

    @Test func staticMemberFencing() {
        var h = Harness()
        let (_, j) = h.joinNew(instance: "i1")
        h.advance(by: 6_000)
        guard let r = h.joinReply(j) else { Issue.record("no join reply"); return }
        _ = h.take(h.sync(member: r.memberId, generation: r.generationId, instance: "i1", assignments: [r.memberId: bytes("a")]))
        #expect(h.txnCommit(member: "stale", generation: r.generationId, instance: "i1", offsets: [("t", 0, 1)]) == [code(.fencedInstanceId)])
        #expect(h.txnCommit(member: r.memberId, generation: r.generationId, instance: "i1", offsets: [("t", 0, 1)]) == [0])
    }

    @Test func resultCarriesTheProducer() {
        var h = Harness()
        var r = TxnOffsetCommitRequest()
        r.groupId = "g"
        r.producerId = 42
        r.producerEpoch = 3
        var t = TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic()
        t.name = "t"
        t.partitions = [TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition()]
        r.topics = [t]
        let result = h.shard.handle(.txnOffsetCommit(RequestContext(requestId: 1, apiVersion: 3), r), now: 0)
        #expect(result.transactional == TransactionalProducer(producerId: 42, producerEpoch: 3))
        #expect(result.records.count == 1)
        // Regular commits are not transactional.
        var c = OffsetCommitRequest()
        c.groupId = "g"
        var ct = OffsetCommitRequest.OffsetCommitRequestTopic()
        ct.name = "t"
        ct.partitions = [OffsetCommitRequest.OffsetCommitRequestPartition()]
        c.topics = [ct]
        #expect(h.shard.handle(.offsetCommit(RequestContext(requestId: 2, apiVersion: 8), c), now: 0).transactional == nil)
    }

    /// A load replays transactional records as pending and applies markers in log order, as the driver does.
    @Test func loadRebuildsPendingOffsets() {
        var h = Harness()
        #expect(h.txnCommit(producerId: 1, offsets: [("t", 0, 10)]) == [0])
        #expect(h.txnCommit(producerId: 2, offsets: [("t", 1, 20)]) == [0])
        #expect(h.txnCommit(producerId: 3, offsets: [("t", 2, 30)]) == [0])
        let records = h.log.map { try! CoordinatorRecord(key: $0.key, value: $0.value) }
        var shard = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        shard.replayTransactional(records[0], producerId: 1, producerEpoch: 0)
        shard.replayTransactional(records[1], producerId: 2, producerEpoch: 0)
        shard.replayTransactional(records[2], producerId: 3, producerEpoch: 0)
        shard.replayEndTransactionMarker(producerId: 1, producerEpoch: 0, committed: true)
        shard.replayEndTransactionMarker(producerId: 2, producerEpoch: 0, committed: false)
        // Producer 3's transaction has no marker yet: still pending after the load.
        #expect(shard.committedOffset(group: "g", topic: "t", partition: 0)?.offset == 10)
        #expect(shard.committedOffset(group: "g", topic: "t", partition: 1) == nil)
        #expect(shard.committedOffset(group: "g", topic: "t", partition: 2) == nil)
        #expect(shard.pendingTransactionalOffsets.producerIds == [3])
        #expect(shard.pendingTransactionalOffsets.offset(producerId: 3, group: "g", topic: "t", partition: 2)?.offset == 30)
        #expect(shard.groups["g"] != nil)
        _ = shard.handle(.transactionCompleted(producerId: 3, producerEpoch: 0, committed: true), now: 0)
        #expect(shard.committedOffset(group: "g", topic: "t", partition: 2)?.offset == 30)
    }
}
