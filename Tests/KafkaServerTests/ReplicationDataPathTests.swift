import Foundation
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Logging
import NIOCore
import Synchronization
import Testing

@testable import KafkaServer

/// The leader's data path with the replication state wired in, on real partition logs with a test clock: acks=all
/// waits for a follower's fetch, consumers read only below the high watermark, timeouts, min.insync.replicas, and
/// a lost leadership.
@Suite struct ReplicationDataPathTests {
    final class TestClock: Sendable {
        let value = Mutex<Int64>(1_000)
        func now() -> Int64 { value.withLock { $0 } }
        func advance(_ ms: Int64) { value.withLock { $0 += ms } }
    }

    struct Fixture {
        let dir: String
        let logs: LogManager
        let replicas: ReplicaManager
        let clock: TestClock
        let tp = TopicPartition("r", 0)

        init(isr: [Int32], minInsync: Int) throws {
            dir = NSTemporaryDirectory() + "tributary-repl-\(UInt64.random(in: 0...UInt64.max))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let clock = TestClock()
            self.clock = clock
            logs = try LogManager(configuration: .init(logDirs: [dir]), fileSystem: PosixFileSystem(), now: 0)
            replicas = ReplicaManager(logs: logs, clock: { clock.now() }, logger: Logger(label: "test"))
            let handle = try #require(try logs.createLog(tp, config: nil, topicId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2), now: 0))
            let term = PartitionTerm(leader: 1, leaderEpoch: 3, partitionEpoch: 5, replicas: [1, 2], isr: isr)
            let replicas = replicas
            let tp = tp
            try handle.withLog { log in
                try log.assignEpochStartOffset(3)
                _ = replicas.roles.lead(tp, topicId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2), term: term, ineligible: [],
                                        config: ReplicationConfig(minInsyncReplicas: minInsync, replicaLagTimeMaxMs: 30_000),
                                        log: log, now: clock.now())
            }
        }

        func produce(_ value: String, acks: Int16 = -1, timeoutMs: Int32 = 30_000) throws -> ReplicaManager.ProduceResult {
            var builder = RecordBatchBuilder()
            try builder.append(timestamp: 0, key: nil, value: ByteBuffer(string: value))
            return replicas.append(tp, records: try builder.build(), produceVersion: 9, settings: ProduceSettings(),
                                   leaderEpoch: 0, requiredAcks: acks, timeoutMs: timeoutMs)
        }

        func consumerHighWatermark() -> Int64 {
            replicas.read(tp, offset: 0, maxBytes: 1 << 20, readCommitted: false, minOneBatch: true).highWatermark
        }

        func followerFetch(at offset: Int64) -> ReplicaManager.ReadResult {
            replicas.read(tp, offset: offset, maxBytes: 1 << 20, readCommitted: false, minOneBatch: true,
                          follower: .init(replicaId: 2, brokerEpoch: 7, logStartOffset: 0))
        }

        func close() {
            try? logs.close(brokerEpoch: 1, now: 0)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func acksAllWaitsForTheFollowerAndConsumersSeeOnlyCommittedRecords() async throws {
        let f = try Fixture(isr: [1, 2], minInsync: 2)
        defer { f.close() }
        let first = try f.produce("a")
        #expect(first.error == .none)
        let waiter = try #require(first.waiter)
        // Appended, not committed: a consumer sees nothing, a follower reads it (to the log end).
        #expect(f.consumerHighWatermark() == 0)
        let fetched = f.followerFetch(at: 0)
        #expect(fetched.error == .none)
        #expect(fetched.fileSlice != nil || (fetched.records?.readableBytes ?? 0) > 0)
        if let s = fetched.fileSlice { close(s.descriptor) }
        // The follower's next fetch, at 1, says it holds offset 0: the high watermark passes it.
        _ = f.followerFetch(at: 1)
        #expect(f.consumerHighWatermark() == 1)
        #expect(await f.replicas.awaitAck(waiter) == .none)
        // acks=1 answers at once and does not wait for the follower.
        let second = try f.produce("b", acks: 1)
        #expect(second.error == .none && second.waiter == nil)
        #expect(f.consumerHighWatermark() == 1)
    }

    @Test func acksAllTimesOutAtItsDeadlineWithTheRecordAppended() async throws {
        let f = try Fixture(isr: [1, 2], minInsync: 1)
        defer { f.close() }
        let r = try f.produce("a", timeoutMs: 200)
        let waiter = try #require(r.waiter)
        f.clock.advance(199)
        f.replicas.roles.tick(now: f.clock.now())
        f.clock.advance(1)
        f.replicas.roles.tick(now: f.clock.now())
        #expect(await f.replicas.awaitAck(waiter) == .requestTimedOut)
        #expect(f.consumerHighWatermark() == 0)
    }

    @Test func minInsyncRefusesAcksAllBeforeAppendingWhileTheIsrIsSmall() throws {
        let f = try Fixture(isr: [1], minInsync: 2)
        defer { f.close() }
        let r = try f.produce("a")
        #expect(r.error == .notEnoughReplicas)
        #expect(r.waiter == nil)
        // acks=1 is not held to it; with the follower out of the ISR the leader alone commits.
        let one = try f.produce("b", acks: 1)
        #expect(one.error == .none && one.baseOffset == 0)
        #expect(f.consumerHighWatermark() == 1)
    }

    @Test func aLostLeadershipAnswersWaitersAndRefusesAppends() async throws {
        let f = try Fixture(isr: [1, 2], minInsync: 2)
        defer { f.close() }
        let waiter = try #require(try f.produce("a").waiter)
        _ = f.replicas.roles.follow(f.tp, .init(topicId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2), leader: 2, leaderEpoch: 4))
        #expect(await f.replicas.awaitAck(waiter) == .notLeaderOrFollower)
        #expect(try f.produce("b", acks: 1).error == .notLeaderOrFollower)
        // A follower fetch to a node that follows the partition is refused too.
        #expect(f.followerFetch(at: 0).error == .notLeaderOrFollower)
        #expect(f.replicas.roles.followedFrom(2)?.keys.first == f.tp)
    }

    @Test func aFollowerCatchingUpIsProposedForTheIsr() throws {
        let f = try Fixture(isr: [1], minInsync: 1)
        defer { f.close() }
        #expect(try f.produce("a", acks: 1).error == .none)
        #expect(f.replicas.roles.takeProposals().isEmpty)
        _ = f.followerFetch(at: 1)
        let proposals = f.replicas.roles.takeProposals()
        #expect(proposals.map(\.partition) == [f.tp])
        #expect(proposals.first.map { Set($0.proposal.newIsr) } == [1, 2])
        #expect(proposals.first?.proposal.newIsrBrokerEpochs.contains(7) == true)
    }
}

/// What a follower keeps of a fetch answer: whole batches whose CRC holds.
@Suite struct ReplicaFetchBatchesTests {
    func batches(_ values: [String]) throws -> ByteBuffer {
        var out = ByteBuffer()
        for (i, v) in values.enumerated() {
            var builder = RecordBatchBuilder()
            try builder.append(timestamp: Int64(i), key: nil, value: ByteBuffer(string: v))
            var b = try builder.build()
            out.writeBuffer(&b)
        }
        return out
    }

    @Test func aPartialLastBatchIsLeftForTheNextFetch() throws {
        let whole = try batches(["a", "b"])
        let first = try RecordBatchHeader(whole).totalSize
        let cut = whole.getSlice(at: 0, length: whole.readableBytes - 3)!
        let kept = ReplicaFetchers.wholeBatches(cut)
        #expect(kept.batches.readableBytes == first)
        #expect(!kept.corrupt)
        #expect(ReplicaFetchers.wholeBatches(whole).batches.readableBytes == whole.readableBytes)
    }

    @Test func aBatchFailingItsCRCStopsTheAppendThere() throws {
        var bytes = try batches(["a", "b", "c"])
        let first = try RecordBatchHeader(bytes).totalSize
        // Flip a byte of the second batch's records (inside its CRC's range).
        let at = first + RecordBatchHeader.size + 1
        bytes.setInteger(bytes.getInteger(at: at, as: UInt8.self)! ^ 0xFF, at: at)
        let kept = ReplicaFetchers.wholeBatches(bytes)
        #expect(kept.corrupt)
        #expect(kept.batches.readableBytes == first)
    }
}

extension ReplicationDataPathTests {
    /// An idempotent batch retried while newer acks=all produces wait is answered like its first attempt, at
    /// its original offsets, and the newer ones still wait (the leader used to trap here).
    @Test func aRetriedIdempotentBatchWaitsBelowNewerProduces() async throws {
        let f = try Fixture(isr: [1, 2], minInsync: 2)
        defer { f.close() }
        func batch(_ sequence: Int32, _ value: String) throws -> ByteBuffer {
            var builder = RecordBatchBuilder(producerId: 77, producerEpoch: 0, baseSequence: sequence)
            try builder.append(timestamp: 0, key: nil, value: ByteBuffer(string: value))
            return try builder.build()
        }
        func produce(_ records: ByteBuffer) -> ReplicaManager.ProduceResult {
            f.replicas.append(f.tp, records: records, produceVersion: 9, settings: ProduceSettings(), leaderEpoch: 0,
                              requiredAcks: -1, timeoutMs: 30_000)
        }
        let first = produce(try batch(0, "a"))
        let second = produce(try batch(1, "b"))
        let retry = produce(try batch(0, "a"))
        #expect(retry.error == .none && retry.baseOffset == first.baseOffset)
        let (w1, w2, w3) = (try #require(first.waiter), try #require(second.waiter), try #require(retry.waiter))
        _ = f.followerFetch(at: 1)
        #expect(await f.replicas.awaitAck(w1) == .none)
        #expect(await f.replicas.awaitAck(w3) == .none)
        _ = f.followerFetch(at: 2)
        #expect(await f.replicas.awaitAck(w2) == .none)
    }
}
