import KafkaCoordinator
import KafkaProtocol

/// OffsetDelete (key 47), version 0: deletes a group's committed offsets for partitions it no longer consumes
/// (GROUP_SUBSCRIBED_TO_TOPIC otherwise).
struct OffsetDeleteHandler: ApiHandler {
    let apiKey = ApiKey.offsetDelete
    let versions: ClosedRange<Int16> = 0...0
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! OffsetDeleteRequest
        if case .offsetDelete(let r)? = await coordinate(context, rc, groupId: req.groupId, { .offsetDelete($0, req) }) { return .respond(r) }
        var r = OffsetDeleteResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        return .respond(r)
    }
}
