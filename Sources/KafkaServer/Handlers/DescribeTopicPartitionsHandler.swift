import KafkaProtocol

/// DescribeTopicPartitions (key 75), version 0 (KIP-966): topics with their partitions in name order, paged by
/// `ResponsePartitionLimit` with a cursor. Eligible leader replicas are not tracked: empty lists.
struct DescribeTopicPartitionsHandler: ApiHandler {
    let apiKey = ApiKey.describeTopicPartitions
    let versions: ClosedRange<Int16> = 0...0
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeTopicPartitionsRequest
        let image = context.image
        var names = req.topics.isEmpty ? image.topicsByName.map(\.name) : req.topics.map(\.name).sorted()
        if let cursor = req.cursor { names = names.filter { $0 >= cursor.topicName } }
        var budget = req.responsePartitionLimit > 0 ? Int(req.responsePartitionLimit) : 2000
        var response = DescribeTopicPartitionsResponse()
        for name in names {
            var t = DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic()
            t.name = name
            guard let topic = image.topic(named: name) else {
                t.errorCode = KafkaError.unknownTopicOrPartition.code
                response.topics.append(t)
                continue
            }
            t.topicId = topic.id
            t.isInternal = BrokerContext.internalTopics.contains(name)
            t.topicAuthorizedOperations = MetadataHandler.allTopicOperations
            let start = req.cursor.flatMap { $0.topicName == name ? $0.partitionIndex : nil } ?? 0
            for p in topic.sortedPartitions where p.partitionId >= start {
                if budget == 0 {
                    var c = DescribeTopicPartitionsResponse.Cursor()
                    c.topicName = name
                    c.partitionIndex = p.partitionId
                    response.nextCursor = c
                    break
                }
                var dp = DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition()
                dp.partitionIndex = p.partitionId
                dp.leaderId = p.leader
                dp.leaderEpoch = p.leaderEpoch
                dp.replicaNodes = p.replicas
                dp.isrNodes = p.isr
                dp.eligibleLeaderReplicas = []
                dp.lastKnownElr = []
                t.partitions.append(dp)
                budget -= 1
            }
            response.topics.append(t)
            if response.nextCursor != nil { break }
        }
        return .respond(response)
    }
}
