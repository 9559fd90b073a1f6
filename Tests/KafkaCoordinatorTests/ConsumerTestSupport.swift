import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// Topic ids for consumer group tests: `topicId("t")` is stable per name.
func topicId(_ name: String) -> KafkaUUID {
    var h: UInt64 = 1469598103934665603
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
    return KafkaUUID(mostSignificantBits: h, leastSignificantBits: 1)
}

extension Harness {
    /// Tells the shard which topics exist (name -> partition count).
    mutating func setTopics(_ topics: [String: Int32]) {
        shard.updateTopics(Dictionary(uniqueKeysWithValues: topics.map { (topicId($0.key), AssignmentSpec.Topic(name: $0.key, partitionCount: $0.value)) }))
    }

    /// One ConsumerGroupHeartbeat; returns the response.
    mutating func cgHeartbeat(
        _ group: String = "g", member: String, epoch: Int32, instance: String? = nil, topics: [String]? = nil,
        regex: String? = nil, assignor: String? = nil, owned: TopicPartitionSet? = nil, rebalanceTimeout: Int32 = -1,
        version: Int16 = 1
    ) -> ConsumerGroupHeartbeatResponse {
        var r = ConsumerGroupHeartbeatRequest()
        r.groupId = group
        r.memberId = member
        r.memberEpoch = epoch
        r.instanceId = instance
        r.subscribedTopicNames = topics
        r.subscribedTopicRegex = regex
        r.serverAssignor = assignor
        r.rebalanceTimeoutMs = epoch == 0 && rebalanceTimeout == -1 ? 30_000 : rebalanceTimeout
        r.topicPartitions = owned.map { set in
            ConsumerGroup.sortedTopics(set).map { t, ps in
                var tp = ConsumerGroupHeartbeatRequest.TopicPartitions()
                tp.topicId = t
                tp.partitions = ps
                return tp
            }
        } ?? (epoch == 0 ? [] : nil)
        let req = r
        let id = send({ .consumerGroupHeartbeat($0, req) }, version: version)
        guard case .consumerGroupHeartbeat(let resp)? = take(id) else {
            Issue.record("no ConsumerGroupHeartbeat reply")
            return ConsumerGroupHeartbeatResponse()
        }
        return resp
    }
}

extension ConsumerGroupHeartbeatResponse {
    /// The assignment as a set, nil when the response carries none.
    var assigned: TopicPartitionSet? {
        assignment.map { a in
            var out: TopicPartitionSet = [:]
            for t in a.topicPartitions where !t.partitions.isEmpty { out[t.topicId, default: []].formUnion(t.partitions) }
            return out
        }
    }
}
