import KafkaCoordinator
import KafkaProtocol

/// JoinGroup (key 11), versions 0-9: the classic rebalance protocol of the group coordinator shard (member id
/// required from v4, KIP-394; static membership, KIP-345). The answer is held until the join phase ends.
struct JoinGroupHandler: ApiHandler {
    let apiKey = ApiKey.joinGroup
    let versions: ClosedRange<Int16> = 0...9
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! JoinGroupRequest
        // A classic member of a KIP-848 group is assigned partitions by the coordinator: it needs the topics.
        if case .joinGroup(let r)? = await coordinate(context, rc, groupId: req.groupId, withTopics: true, { .joinGroup($0, req) }) { return .respond(r) }
        var r = JoinGroupResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        r.memberId = req.memberId
        return .respond(r)
    }
}
