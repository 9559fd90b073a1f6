import KafkaCoordinator
import KafkaProtocol

/// DeleteGroups (key 42), versions 0-2: each group deleted by the shard that coordinates it (NON_EMPTY_GROUP,
/// GROUP_ID_NOT_FOUND), its offsets and metadata tombstoned in `__consumer_offsets`.
struct DeleteGroupsHandler: ApiHandler {
    let apiKey = ApiKey.deleteGroups
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DeleteGroupsRequest
        var response = DeleteGroupsResponse()
        for groupId in req.groupsNames {
            var single = req
            single.groupsNames = [groupId]
            if case .deleteGroups(let r)? = await coordinate(context, rc, groupId: groupId, { [single] in .deleteGroups($0, single) }) {
                response.results.append(contentsOf: r.results)
            } else {
                var g = DeleteGroupsResponse.DeletableGroupResult()
                g.groupId = groupId
                g.errorCode = groupRefusal(context, groupId)
                response.results.append(g)
            }
        }
        return .respond(response)
    }
}
