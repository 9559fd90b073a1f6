import KafkaProtocol

/// The outcome for one topic of a DeleteTopics request.
public struct DeleteTopicResult: Hashable, Sendable {
    /// Nil when the topic was named by an id that does not resolve.
    public var name: String?
    public var topicId: KafkaUUID
    public var error: ApiError

    public init(name: String?, topicId: KafkaUUID, error: ApiError = .none) {
        self.name = name
        self.topicId = topicId
        self.error = error
    }
}

/// One topic of a DeleteTopics request: v0-5 name topics; v6+ (KIP-516) name each by name or by id.
public struct DeleteTopicSpec: Hashable, Sendable {
    public var name: String?
    public var topicId: KafkaUUID

    public init(name: String?, topicId: KafkaUUID = .zero) {
        self.name = name
        self.topicId = topicId
    }

    public static func named(_ name: String) -> DeleteTopicSpec { DeleteTopicSpec(name: name) }
    public static func id(_ id: KafkaUUID) -> DeleteTopicSpec { DeleteTopicSpec(name: nil, topicId: id) }
}

extension QuorumController {
    /// DeleteTopics: a RemoveTopicRecord per topic that exists. Unknown names get UNKNOWN_TOPIC_OR_PARTITION,
    /// unknown ids UNKNOWN_TOPIC_ID, topics given twice INVALID_REQUEST, as Kafka's ControllerApis answers.
    /// Internal topics are not protected: Kafka lets an authorized client delete them too.
    ///
    /// - Parameter apiVersion: with `delete.topic.enable=false`, versions before 3 get INVALID_REQUEST and later
    ///   ones TOPIC_DELETION_DISABLED, for every topic.
    public func deleteTopics(_ topics: [DeleteTopicSpec], apiVersion: Int16 = 6) -> ControllerResult<[DeleteTopicResult]> {
        if !configuration.deleteTopicEnable {
            let error = apiVersion < 3
                ? ApiError(.invalidRequest, "Topic deletion is disabled.")
                : ApiError(.topicDeletionDisabled, "Topic deletion is disabled.")
            return ControllerResult(records: [], response: topics.map {
                DeleteTopicResult(name: $0.name, topicId: $0.topicId, error: error)
            })
        }
        var results: [DeleteTopicResult] = []
        var names: [String] = []
        var nameCounts: [String: Int] = [:]
        var ids: [KafkaUUID] = []
        var idCounts: [KafkaUUID: Int] = [:]
        for spec in topics {
            switch (spec.name, spec.topicId) {
            case (nil, .zero):
                results.append(DeleteTopicResult(
                    name: nil, topicId: .zero, error: ApiError(.invalidRequest, "Neither topic name nor id were specified.")))
            case (nil, let id):
                if idCounts[id] == nil { ids.append(id) }
                idCounts[id, default: 0] += 1
            case (let name?, .zero):
                if nameCounts[name] == nil { names.append(name) }
                nameCounts[name, default: 0] += 1
            case (let name?, let id):
                results.append(DeleteTopicResult(
                    name: name, topicId: id,
                    error: ApiError(.invalidRequest, "You may not specify both topic name and topic id.")))
            }
        }
        for name in names where nameCounts[name]! > 1 {
            results.append(DeleteTopicResult(name: name, topicId: .zero, error: ApiError(.invalidRequest, "Duplicate topic name.")))
        }
        for id in ids where idCounts[id]! > 1 {
            results.append(DeleteTopicResult(name: nil, topicId: id, error: ApiError(.invalidRequest, "Duplicate topic id.")))
        }
        var toDelete: [(String, KafkaUUID)] = []
        var deleting: Set<KafkaUUID> = []
        for id in ids where idCounts[id] == 1 {
            if let topic = image.topicsById[id] {
                if deleting.insert(id).inserted { toDelete.append((topic.name, id)) }
            } else {
                results.append(DeleteTopicResult(
                    name: nil, topicId: id, error: ApiError(.unknownTopicId, "This server does not host this topic ID.")))
            }
        }
        for name in names where nameCounts[name] == 1 {
            if let id = image.topicIdsByName[name] {
                if deleting.insert(id).inserted { toDelete.append((name, id)) }
            } else {
                results.append(DeleteTopicResult(
                    name: name, topicId: .zero,
                    error: ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition.")))
            }
        }
        var records: [MetadataRecord] = []
        for (name, id) in toDelete {
            var record = RemoveTopicRecord()
            record.topicId = id
            records.append(.removeTopic(record))
            results.append(DeleteTopicResult(name: name, topicId: id))
        }
        return ControllerResult(records: records, response: results)
    }

    /// DeleteTopics by names only (DeleteTopics v0-5).
    public func deleteTopics(names: [String], apiVersion: Int16 = 6) -> ControllerResult<[DeleteTopicResult]> {
        deleteTopics(names.map(DeleteTopicSpec.named), apiVersion: apiVersion)
    }
}
