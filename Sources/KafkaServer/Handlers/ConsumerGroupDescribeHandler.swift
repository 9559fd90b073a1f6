import KafkaCoordinator
import KafkaProtocol

/// ConsumerGroupDescribe (key 69), versions 0-1 (KIP-848): each group described by the shard that coordinates it;
/// a classic group answers GROUP_ID_NOT_FOUND, which sends admin clients to DescribeGroups. Authorized
/// operations are not computed (no ACLs yet): the field keeps Kafka's "not requested" value.
struct ConsumerGroupDescribeHandler: ApiHandler {
    let apiKey = ApiKey.consumerGroupDescribe
    let versions: ClosedRange<Int16> = 0...1
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ConsumerGroupDescribeRequest
        var response = ConsumerGroupDescribeResponse()
        for groupId in req.groupIds {
            var single = req
            single.groupIds = [groupId]
            if case .consumerGroupDescribe(let r)? = await coordinate(context, rc, groupId: groupId, withTopics: true, { [single] in .consumerGroupDescribe($0, single) }) {
                response.groups.append(contentsOf: r.groups)
            } else {
                var g = ConsumerGroupDescribeResponse.DescribedGroup()
                g.groupId = groupId
                g.errorCode = groupRefusal(context, groupId)
                response.groups.append(g)
            }
        }
        return .respond(response)
    }
}
