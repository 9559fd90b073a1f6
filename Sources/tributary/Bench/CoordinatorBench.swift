import KafkaCoordinator
import KafkaProtocol
import NIOCore

/// The pure group coordinator shard under KIP-848 load, without I/O: members join a consumer group on one topic,
/// then heartbeat in turn (reporting what they own, as clients do) until the group is stable; then a stable
/// round. Every record is encoded and decoded as the driver would write and replay it.
struct CoordinatorBenchmark {
    let members: Int
    let partitions: Int32

    private var shard = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
    private var requestId: UInt64 = 0
    private var now: Int64 = 0
    private(set) var records = 0
    private(set) var heartbeats = 0

    init(members: Int, partitions: Int32) {
        self.members = members
        self.partitions = partitions
    }

    /// Lines of figures.
    mutating func run() -> [String] {
        let topic = KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2)
        shard.updateTopics([topic: AssignmentSpec.Topic(name: "t", partitionCount: partitions)])
        var epochs = [Int32](repeating: 0, count: members)
        var owned = [[Int32]](repeating: [], count: members)

        let start = monotonicSeconds()
        for i in 0..<members {
            let r = heartbeat(i, epoch: 0, owned: [], topic: topic, join: true)
            epochs[i] = r.memberEpoch
            owned[i] = r.assignment?.topicPartitions.first?.partitions ?? []
        }
        let joined = monotonicSeconds()
        var rounds = 0
        while shard.consumerGroups["g"]?.state != .stable, rounds < 100 {
            rounds += 1
            now += 100
            for i in 0..<members {
                let r = heartbeat(i, epoch: epochs[i], owned: owned[i], topic: topic, join: false)
                epochs[i] = r.memberEpoch
                if let a = r.assignment { owned[i] = a.topicPartitions.first?.partitions ?? [] }
            }
        }
        let settled = monotonicSeconds()
        let convergeHeartbeats = heartbeats
        now += 5_000
        for i in 0..<members { _ = heartbeat(i, epoch: epochs[i], owned: nil, topic: topic, join: false) }
        let stable = monotonicSeconds()
        let state = shard.consumerGroups["g"]?.state.rawValue ?? "none"
        return [
            "KIP-848 coordinator shard: \(members) members, \(partitions) partitions (one topic)",
            "  joins: \(fmt((joined - start) * 1000)) ms for \(members) joins (\(fmt(Double(members) / (joined - start), 0)) joins/s)",
            "  converge: \(rounds) heartbeat rounds, \(convergeHeartbeats - members) heartbeats in \(fmt((settled - joined) * 1000)) ms "
                + "(\(fmt(Double(convergeHeartbeats - members) / max(settled - joined, 1e-9), 0)) heartbeats/s), group \(state)",
            "  stable: \(members) heartbeats in \(fmt((stable - settled) * 1000)) ms (\(fmt(Double(members) / max(stable - settled, 1e-9), 0)) heartbeats/s)",
            "  records written: \(records)",
        ]
    }

    private mutating func heartbeat(_ i: Int, epoch: Int32, owned: [Int32]?, topic: KafkaUUID, join: Bool) -> ConsumerGroupHeartbeatResponse {
        var req = ConsumerGroupHeartbeatRequest()
        req.groupId = "g"
        req.memberId = "member-\(i)"
        req.memberEpoch = epoch
        if join {
            req.subscribedTopicNames = ["t"]
            req.rebalanceTimeoutMs = 30_000
        }
        req.topicPartitions = owned.map { ps in
            if ps.isEmpty { return [] }
            var tp = ConsumerGroupHeartbeatRequest.TopicPartitions()
            tp.topicId = topic
            tp.partitions = ps
            return [tp]
        }
        requestId += 1
        heartbeats += 1
        let result = shard.handle(.consumerGroupHeartbeat(RequestContext(requestId: requestId, apiVersion: 1, clientId: "bench"), req), now: now)
        for record in result.records {
            // As the driver does: bytes out, and the record replayed.
            let key = try! record.encodeKey()
            let value = try! record.encodeValue()
            shard.replay(try! CoordinatorRecord(key: key, value: value))
            records += 1
        }
        guard case .consumerGroupHeartbeat(let r)? = result.reply(to: requestId) else { fatalError("no heartbeat reply") }
        if r.errorCode != 0 { fatalError("heartbeat of member \(i) failed: \(r.errorCode) \(r.errorMessage ?? "")") }
        return r
    }
}
