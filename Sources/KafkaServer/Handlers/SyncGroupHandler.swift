import KafkaCoordinator
import KafkaProtocol

/// SyncGroup (key 14), versions 0-5: the leader hands in the assignment, followers wait for theirs.
struct SyncGroupHandler: ApiHandler {
    let apiKey = ApiKey.syncGroup
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! SyncGroupRequest
        // A classic member of a KIP-848 group is assigned partitions by the coordinator: it needs the topics.
        if case .syncGroup(let r)? = await coordinate(context, rc, groupId: req.groupId, withTopics: true, { .syncGroup($0, req) }) { return .respond(r) }
        var r = SyncGroupResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        return .respond(r)
    }
}
