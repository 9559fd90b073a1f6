import KafkaProtocol

/// DescribeCluster (key 60), versions 0-2.
///
/// Cluster id, controller id (`BrokerContext.clientFacingControllerId`: a live broker, as KRaft answers), the registered brokers with their endpoints for the request's listener.
/// Endpoint type 2 (controllers, KIP-919) lists this node's controller listener. Authorized operations: all (no
/// authorizer). Leaves out: fenced brokers listing beyond this node.
struct DescribeClusterHandler: ApiHandler {
    let apiKey = ApiKey.describeCluster
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeClusterRequest
        var response = DescribeClusterResponse()
        response.clusterId = context.clusterId
        response.controllerId = context.clientFacingControllerId
        response.endpointType = req.endpointType
        response.clusterAuthorizedOperations = req.includeClusterAuthorizedOperations ? MetadataHandler.allClusterOperations : Int32.min
        response.brokers = context.image.brokers.values.sorted { $0.id < $1.id }.compactMap { b in
            guard !b.fenced || req.includeFencedBrokers else { return nil }
            guard let e = b.listeners.first(where: { $0.name == rc.listenerName }) ?? b.listeners.first else { return nil }
            var d = DescribeClusterResponse.DescribeClusterBroker()
            d.brokerId = b.id
            d.host = e.host
            d.port = Int32(e.port)
            d.rack = b.rack
            d.isFenced = b.fenced
            return d
        }
        return .respond(response)
    }
}
