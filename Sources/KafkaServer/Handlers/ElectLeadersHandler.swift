import KafkaProtocol

/// ElectLeaders (key 43), versions 0-2: with one node every partition's leader is already its preferred replica, so
/// each named partition answers ELECTION_NOT_NEEDED (as Kafka does when the preferred leader leads), and unknown
/// ones UNKNOWN_TOPIC_OR_PARTITION. A null partition list (all partitions) gets an empty result, as Kafka returns
/// only partitions whose election was attempted.
struct ElectLeadersHandler: ApiHandler {
    let apiKey = ApiKey.electLeaders
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ElectLeadersRequest
        let image = context.image
        var response = ElectLeadersResponse()
        for t in req.topicPartitions ?? [] {
            var r = ElectLeadersResponse.ReplicaElectionResult()
            r.topic = t.topic
            r.partitionResult = t.partitions.map { index in
                var p = ElectLeadersResponse.PartitionResult()
                p.partitionId = index
                if let partition = image.topic(named: t.topic)?.partitions[index] {
                    if partition.leader == partition.replicas.first {
                        p.errorCode = KafkaError.electionNotNeeded.code
                        p.errorMessage = "Leader election not needed for topic partition."
                    }
                } else {
                    p.errorCode = KafkaError.unknownTopicOrPartition.code
                    p.errorMessage = "The partition does not exist."
                }
                return p
            }
            response.replicaElectionResults.append(r)
        }
        return .respond(response)
    }
}
