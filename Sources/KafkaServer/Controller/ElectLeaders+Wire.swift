import KafkaMetadata
import KafkaProtocol

// ElectLeaders both ways: the request to the spec (on the broker, and on the controller listener a forwarded one)
// and back, and the result to the response and back.

extension ElectLeadersRequest {
    /// The spec as decoded at any version: version 0 carries no election type, which then stays preferred (0).
    var spec: ElectLeadersSpec {
        ElectLeadersSpec(electionType: electionType, topics: topicPartitions?.map {
            ElectLeadersSpec.Topic(topic: $0.topic, partitions: $0.partitions)
        })
    }

    /// The request a broker forwards, at version 1 or later (version 0 cannot carry an election type).
    init(spec: ElectLeadersSpec) {
        self.init()
        electionType = spec.electionType
        topicPartitions = spec.topics?.map {
            var t = TopicPartitions()
            t.topic = $0.topic
            t.partitions = $0.partitions
            return t
        }
    }
}

extension ElectLeadersResponse {
    /// The response at `version`: before version 1 there is no top-level error, and each partition's carries it.
    init(result: ElectLeadersResult, version: Int16) {
        self.init()
        if version >= 1 { errorCode = result.error.code }
        replicaElectionResults = result.topics.map { t in
            var r = ReplicaElectionResult()
            r.topic = t.topic
            r.partitionResult = t.partitions.map { p in
                var out = PartitionResult()
                out.partitionId = p.partitionId
                out.errorCode = p.error.code
                out.errorMessage = p.error.message
                return out
            }
            return r
        }
    }

    /// The result a forwarded response carries.
    var result: ElectLeadersResult {
        ElectLeadersResult(error: ApiError(code: errorCode, message: nil), topics: replicaElectionResults.map { t in
            ElectLeadersResult.Topic(topic: t.topic, partitions: t.partitionResult.map {
                ElectLeadersResult.Partition(partitionId: $0.partitionId, error: ApiError(code: $0.errorCode, message: $0.errorMessage))
            })
        })
    }
}
