import KafkaMetadata
import KafkaProtocol

/// Metadata (key 3), versions 0-13.
///
/// Brokers (this node's advertised listener of the request's listener name), cluster id, controller id, topics with
/// ids, partitions, leaders, epochs, replicas and ISR. Unknown topics are created when the request allows it and
/// `auto.create.topics.enable` is set, and are then returned ready (Kafka answers LEADER_NOT_AVAILABLE first and
/// the client retries; here the topic is usable at once). Authorized-operations fields carry every operation: no
/// authorizer is configured. Leaves out: ACL-based filtering.
struct MetadataHandler: ApiHandler {
    let apiKey = ApiKey.metadata
    let versions: ClosedRange<Int16> = 0...13
    let context: BrokerContext

    /// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS as Kafka's AclOperation bits.
    static let allTopicOperations: Int32 = [3, 4, 5, 6, 7, 8, 10, 11].reduce(0) { $0 | (1 << $1) }
    /// CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE.
    static let allClusterOperations: Int32 = [5, 7, 8, 9, 10, 11, 12].reduce(0) { $0 | (1 << $1) }
    static let notRequested = Int32.min

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! MetadataRequest
        var image = context.image
        var response = MetadataResponse()
        response.clusterId = context.clusterId
        response.controllerId = context.clientFacingControllerId
        response.brokers = image.brokers.values.sorted { $0.id < $1.id }.compactMap { b in
            guard !b.fenced else { return nil }
            let endpoint = b.listeners.first { $0.name == rc.listenerName } ?? b.listeners.first
            guard let endpoint else { return nil }
            var e = MetadataResponse.MetadataResponseBroker()
            e.nodeId = b.id
            e.host = endpoint.host
            e.port = Int32(endpoint.port)
            e.rack = b.rack
            return e
        }
        response.clusterAuthorizedOperations = req.includeClusterAuthorizedOperations ? Self.allClusterOperations : Self.notRequested

        // v0: an empty list means every topic; v1+: null means every topic.
        let all = req.topics == nil || (rc.apiVersion == 0 && req.topics!.isEmpty)
        var wanted: [(name: String?, id: KafkaUUID)] = []
        if all {
            wanted = image.topicsByName.map { ($0.name, $0.id) }
        } else {
            wanted = req.topics!.map { ($0.name, $0.topicId) }
        }
        // Auto-create missing topics named in the request.
        let allowAuto = (rc.apiVersion < 4 || req.allowAutoTopicCreation) && context.config.topics.autoCreateTopicsEnable
        let missing = wanted.compactMap { w -> String? in
            guard let n = w.name, image.topic(named: n) == nil, w.id == .zero else { return nil }
            return n
        }
        var createErrors: [String: KafkaError] = [:]
        if allowAuto && !missing.isEmpty {
            let specs = Array(Set(missing)).sorted().map { CreateTopicSpec(name: $0) }
            let results = try await context.controller.createTopics(specs)
            for r in results where r.error.isFailure && r.error.error != .topicAlreadyExists { createErrors[r.name] = r.error.error }
            image = context.image
        }
        response.topics = wanted.map { w in
            var t = MetadataResponse.MetadataResponseTopic()
            t.name = w.name
            t.topicId = w.id
            t.topicAuthorizedOperations = req.includeTopicAuthorizedOperations ? Self.allTopicOperations : Self.notRequested
            let topic = w.name.flatMap { image.topic(named: $0) } ?? (w.id != .zero ? image.topic(id: w.id) : nil)
            guard let topic else {
                if let n = w.name, let e = createErrors[n] {
                    t.errorCode = e.code
                } else {
                    t.errorCode = w.name == nil ? KafkaError.unknownTopicId.code : KafkaError.unknownTopicOrPartition.code
                }
                return t
            }
            t.name = topic.name
            t.topicId = topic.id
            t.isInternal = BrokerContext.internalTopics.contains(topic.name)
            t.partitions = topic.sortedPartitions.map { p in
                var mp = MetadataResponse.MetadataResponsePartition()
                mp.partitionIndex = p.partitionId
                mp.leaderId = p.leader
                mp.leaderEpoch = p.leaderEpoch
                mp.replicaNodes = p.replicas
                mp.isrNodes = p.isr
                mp.errorCode = p.leader < 0 ? KafkaError.leaderNotAvailable.code : 0
                return mp
            }
            return t
        }
        return .respond(response)
    }
}
