import KafkaProtocol
import NIOCore

/// ConsumerGroupDescribe (KIP-848), and how a consumer group looks to the classic admin APIs.
extension GroupCoordinatorShard {
    mutating func consumerGroupDescribe(_ ctx: RequestContext, _ req: ConsumerGroupDescribeRequest) {
        var response = ConsumerGroupDescribeResponse()
        for groupId in req.groupIds {
            var d = ConsumerGroupDescribeResponse.DescribedGroup()
            d.groupId = groupId
            guard let group = consumerGroups[groupId] else {
                d.errorCode = KafkaError.groupIdNotFound.rawValue
                // The admin client falls back to DescribeGroups for a classic group.
                let isClassic = groups[groupId].map { $0.state != .dead } ?? false
                d.errorMessage = isClassic ? "Group \(groupId) is not a consumer group." : "Group \(groupId) not found."
                d.groupState = ConsumerGroupState.dead.rawValue
                response.groups.append(d)
                continue
            }
            d.groupState = group.state.rawValue
            d.groupEpoch = group.groupEpoch
            d.assignmentEpoch = group.assignmentEpoch
            d.assignorName = preferredAssignor(group)
            d.members = group.members.values.sorted { $0.memberId < $1.memberId }.map { m in
                var dm = ConsumerGroupDescribeResponse.Member()
                dm.memberId = m.memberId
                dm.instanceId = m.instanceId
                dm.rackId = m.rackId
                dm.memberEpoch = m.memberEpoch
                dm.clientId = m.clientId
                dm.clientHost = m.clientHost
                dm.subscribedTopicNames = m.subscribedTopicNames
                dm.subscribedTopicRegex = m.subscribedTopicRegex
                dm.assignment = describedAssignment(m.assignedPartitions)
                dm.targetAssignment = describedAssignment(group.targetAssignment[m.memberId] ?? [:])
                if ctx.apiVersion >= 1 { dm.memberType = 1 }  // a consumer-protocol member
                return dm
            }
            response.groups.append(d)
        }
        reply(ctx, .consumerGroupDescribe(response))
    }

    private func describedAssignment(_ set: TopicPartitionSet) -> ConsumerGroupDescribeResponse.Assignment {
        var a = ConsumerGroupDescribeResponse.Assignment()
        a.topicPartitions = ConsumerGroup.sortedTopics(set).map { t, ps in
            var tp = ConsumerGroupDescribeResponse.TopicPartitions()
            tp.topicId = t
            tp.topicName = topics[t]?.name ?? ""
            tp.partitions = ps
            return tp
        }
        return a
    }

    /// A consumer group in DescribeGroups, as Kafka shows one: protocol type "consumer", the assignor as the
    /// protocol, and each member's subscription and assignment in the classic consumer protocol's encoding.
    func describedClassic(_ group: ConsumerGroup, apiVersion: Int16) -> DescribeGroupsResponse.DescribedGroup {
        var d = DescribeGroupsResponse.DescribedGroup()
        d.groupId = group.groupId
        d.groupState = group.state.rawValue
        d.protocolType = "consumer"
        d.protocolData = preferredAssignor(group)
        d.members = group.members.values.sorted { $0.memberId < $1.memberId }.map { m in
            var dm = DescribeGroupsResponse.DescribedGroupMember()
            dm.memberId = m.memberId
            dm.groupInstanceId = apiVersion >= 4 ? m.instanceId : nil
            dm.clientId = m.clientId
            dm.clientHost = m.clientHost
            dm.memberMetadata = consumerProtocolSubscription(m.subscribedTopicNames)
            dm.memberAssignment = consumerProtocolAssignment(m.assignedPartitions)
            return dm
        }
        if apiVersion < 3 { d.authorizedOperations = Int32.min }
        return d
    }
}
