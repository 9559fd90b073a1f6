import KafkaCoordinator
import KafkaProtocol

/// DescribeGroups (key 15), versions 0-6: each group described by the shard that coordinates it.
struct DescribeGroupsHandler: ApiHandler {
    let apiKey = ApiKey.describeGroups
    let versions: ClosedRange<Int16> = 0...6
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeGroupsRequest
        var response = DescribeGroupsResponse()
        for groupId in req.groups {
            var single = req
            single.groups = [groupId]
            if case .describeGroups(let r)? = await coordinate(context, rc, groupId: groupId, { [single] in .describeGroups($0, single) }) {
                response.groups.append(contentsOf: r.groups)
            } else {
                var g = DescribeGroupsResponse.DescribedGroup()
                g.groupId = groupId
                g.errorCode = groupRefusal(context, groupId)
                response.groups.append(g)
            }
        }
        return .respond(response)
    }
}
