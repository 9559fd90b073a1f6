import KafkaCoordinator
import KafkaProtocol

/// Heartbeat (key 12), versions 0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
struct HeartbeatHandler: ApiHandler {
    let apiKey = ApiKey.heartbeat
    let versions: ClosedRange<Int16> = 0...4
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! HeartbeatRequest
        if case .heartbeat(let r)? = await coordinate(context, rc, groupId: req.groupId, { .heartbeat($0, req) }) { return .respond(r) }
        var r = HeartbeatResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        return .respond(r)
    }
}
