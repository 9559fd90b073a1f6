import KafkaCoordinator
import KafkaProtocol

/// LeaveGroup (key 13), versions 0-5 (batched members from v3, KIP-345).
struct LeaveGroupHandler: ApiHandler {
    let apiKey = ApiKey.leaveGroup
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! LeaveGroupRequest
        if case .leaveGroup(let r)? = await coordinate(context, rc, groupId: req.groupId, { .leaveGroup($0, req) }) { return .respond(r) }
        var r = LeaveGroupResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        return .respond(r)
    }
}
