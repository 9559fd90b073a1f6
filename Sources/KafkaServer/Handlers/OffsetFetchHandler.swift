import KafkaCoordinator
import KafkaProtocol

/// OffsetFetch (key 9), versions 0-10: one group before v8, several from v8 (each sent to the shard that
/// coordinates it, answers merged in request order). require_stable is answered as stable (no transactions yet).
struct OffsetFetchHandler: ApiHandler {
    let apiKey = ApiKey.offsetFetch
    let versions: ClosedRange<Int16> = 0...10
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! OffsetFetchRequest
        if rc.apiVersion < 8 {
            if case .offsetFetch(let r)? = await coordinate(context, rc, groupId: req.groupId, { .offsetFetch($0, req) }) { return .respond(r) }
            var r = OffsetFetchResponse()
            if rc.apiVersion >= 2 { r.errorCode = groupRefusal(context, req.groupId) }
            return .respond(r)
        }
        var response = OffsetFetchResponse()
        for group in req.groups {
            var single = req
            single.groups = [group]
            if case .offsetFetch(let r)? = await coordinate(context, rc, groupId: group.groupId, withTopics: rc.apiVersion >= 10, { [single] in .offsetFetch($0, single) }) {
                response.groups.append(contentsOf: r.groups)
            } else {
                var g = OffsetFetchResponse.OffsetFetchResponseGroup()
                g.groupId = group.groupId
                g.errorCode = groupRefusal(context, group.groupId)
                response.groups.append(g)
            }
        }
        return .respond(response)
    }
}
