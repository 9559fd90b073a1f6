import KafkaCoordinator
import KafkaProtocol

/// ListGroups (key 16), versions 0-5 (state filter v4, type filter v5): every shard's groups, merged.
struct ListGroupsHandler: ApiHandler {
    let apiKey = ApiKey.listGroups
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ListGroupsRequest
        var response = ListGroupsResponse()
        let host = rc.clientAddress
        do {
            for shard in try await context.groups.allShards() {
                let reply = await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: host) { .listGroups($0, req) }
                if case .listGroups(let r)? = reply { response.groups.append(contentsOf: r.groups) }
            }
        } catch {
            response.errorCode = coordinatorNotAvailable
        }
        response.groups.sort { $0.groupId < $1.groupId }
        return .respond(response)
    }
}
