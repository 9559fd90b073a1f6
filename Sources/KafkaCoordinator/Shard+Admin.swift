import KafkaProtocol
import NIOCore

/// DescribeGroups, ListGroups and DeleteGroups.
extension GroupCoordinatorShard {
    mutating func describeGroups(_ ctx: RequestContext, _ req: DescribeGroupsRequest) {
        var response = DescribeGroupsResponse()
        for groupId in req.groups {
            var d = DescribeGroupsResponse.DescribedGroup()
            d.groupId = groupId
            if let consumerGroup = consumerGroups[groupId] {
                response.groups.append(describedClassic(consumerGroup, apiVersion: ctx.apiVersion))
                continue
            }
            guard let group = groups[groupId], group.state != .dead else {
                if ctx.apiVersion >= 6 {
                    // KIP-1043: v6 reports a missing group as an error instead of a Dead group.
                    d.errorCode = KafkaError.groupIdNotFound.rawValue
                    d.errorMessage = "Group \(groupId) not found."
                }
                d.groupState = ClassicGroupState.dead.rawValue
                response.groups.append(d)
                continue
            }
            d.groupState = group.state.rawValue
            d.protocolType = group.protocolType ?? ""
            let stable = group.state == .stable
            d.protocolData = stable ? (group.protocolName ?? "") : ""
            // Metadata and assignment are shown only once the generation is settled, as Kafka does.
            d.members = group.members.map { m in
                var dm = DescribeGroupsResponse.DescribedGroupMember()
                dm.memberId = m.memberId
                dm.groupInstanceId = ctx.apiVersion >= 4 ? m.groupInstanceId : nil
                dm.clientId = m.clientId
                dm.clientHost = m.clientHost
                if stable {
                    dm.memberMetadata = m.metadata(for: group.protocolName)
                    dm.memberAssignment = m.assignment
                }
                return dm
            }
            if ctx.apiVersion < 3 { d.authorizedOperations = Int32.min }
            response.groups.append(d)
        }
        reply(ctx, .describeGroups(response))
    }

    mutating func listGroups(_ ctx: RequestContext, _ req: ListGroupsRequest) {
        let states = Set(req.statesFilter.map { $0.lowercased() })
        let types = Set(req.typesFilter.map { $0.lowercased() })
        var response = ListGroupsResponse()
        for groupId in groups.keys.sorted() {
            let group = groups[groupId]!
            if group.state == .dead { continue }
            // v4 (KIP-518) filters by state, v5 (KIP-848) by group type; both match case-insensitively.
            if !states.isEmpty, !states.contains(group.state.rawValue.lowercased()) { continue }
            if !types.isEmpty, !types.contains("classic") { continue }
            var g = ListGroupsResponse.ListedGroup()
            g.groupId = groupId
            g.protocolType = group.protocolType ?? ""
            if ctx.apiVersion >= 4 { g.groupState = group.state.rawValue }
            if ctx.apiVersion >= 5 { g.groupType = "classic" }
            response.groups.append(g)
        }
        for groupId in consumerGroups.keys.sorted() {
            let state = consumerGroups[groupId]!.state
            if !states.isEmpty, !states.contains(state.rawValue.lowercased()) { continue }
            if !types.isEmpty, !types.contains("consumer") { continue }
            var g = ListGroupsResponse.ListedGroup()
            g.groupId = groupId
            g.protocolType = "consumer"
            if ctx.apiVersion >= 4 { g.groupState = state.rawValue }
            if ctx.apiVersion >= 5 { g.groupType = "consumer" }
            response.groups.append(g)
        }
        response.groups.sort { $0.groupId < $1.groupId }
        reply(ctx, .listGroups(response))
    }

    mutating func deleteGroups(_ ctx: RequestContext, _ req: DeleteGroupsRequest) {
        var response = DeleteGroupsResponse()
        for groupId in req.groupsNames {
            var r = DeleteGroupsResponse.DeletableGroupResult()
            r.groupId = groupId
            if let group = consumerGroups[groupId] {
                if group.members.isEmpty {
                    for tp in (offsets[groupId] ?? [:]).keys.sorted() {
                        out.records.append(.offsetTombstone(group: groupId, topic: tp.topic, partition: tp.partition))
                    }
                    // As Kafka: the target assignment's epoch, then the group (its epoch record).
                    out.records.append(.consumerGroup(.targetAssignmentMetadata(group: groupId, value: nil)))
                    out.records.append(.consumerGroup(.metadata(group: groupId, value: nil)))
                } else {
                    r.errorCode = KafkaError.nonEmptyGroup.rawValue
                }
            } else if let group = groups[groupId], group.state != .dead {
                if group.state == .empty {
                    // Offsets first, then the group itself, as Kafka writes them.
                    for tp in (offsets[groupId] ?? [:]).keys.sorted() {
                        out.records.append(.offsetTombstone(group: groupId, topic: tp.topic, partition: tp.partition))
                    }
                    out.records.append(.groupTombstone(group: groupId))
                    for key in timerDeadlines.keys where key.group == groupId { cancel(key) }
                } else {
                    r.errorCode = KafkaError.nonEmptyGroup.rawValue
                }
            } else {
                r.errorCode = KafkaError.groupIdNotFound.rawValue
            }
            response.results.append(r)
        }
        reply(ctx, .deleteGroups(response))
    }
}
