import KafkaProtocol

/// What one commit changed: topics created and deleted, partitions created, changed and removed, topic configs and
/// brokers touched, computed from the commit's records against the image before them (Kafka's MetadataDelta).
///
/// Only what the records name is compared, so the cost follows the commit, not the cluster: a one-partition
/// CreateTopics beside 4,000 partitions looks at one partition. The broker side acts on a delta in one place
/// (`localChanges(of:)`: this node became leader, became follower, or is no longer a replica).
public struct MetadataDelta: Sendable {
    /// A topic by id and name.
    public struct Topic: Hashable, Sendable {
        public var id: KafkaUUID
        public var name: String

        public init(id: KafkaUUID, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// The image after the commit.
    public let image: MetadataImage
    /// How many records the commit held.
    public let recordCount: Int
    /// Topics in the new image and not in the old one, by name.
    public private(set) var createdTopics: [Topic] = []
    /// Topics in the old image and not in the new one, by name (with the name they had).
    public private(set) var deletedTopics: [Topic] = []
    /// Every partition whose registration differs, ordered by topic name and partition.
    public private(set) var partitionChanges: [PartitionChange] = []
    /// Topic name -> config keys whose value changed, for topics that exist after the commit.
    public private(set) var changedTopicConfigs: [String: Set<String>] = [:]
    /// Brokers whose registration changed (registered, fenced, unfenced, unregistered, ...).
    public private(set) var changedBrokers: Set<Int32> = []
    /// Whether the new image is a metadata snapshot the quorum committed (KIP-630), loaded in place of the old image:
    /// then a topic id the image does not hold is a topic deleted while this node was away, even if the old image
    /// never had it (the node never replayed its own log). Set by the driver that loads the snapshot.
    public var fromSnapshot = false

    /// The delta of `records`, committed on top of `previous`, which gave `image`.
    public init(previous: MetadataImage, image: MetadataImage, records: [MetadataRecord]) {
        self.image = image
        recordCount = records.count
        var touched: [KafkaUUID: Scope] = [:]
        var configKeys: [String: Set<String>] = [:]
        func touch(_ id: KafkaUUID, _ partition: Int32?) {
            guard let partition else { return touched[id] = .all }
            switch touched[id] {
            case .all: break
            case .partitions(var set):
                set.insert(partition)
                touched[id] = .partitions(set)
            case nil: touched[id] = .partitions([partition])
            }
        }
        for record in records {
            switch record {
            case .topic(let r, _): touch(r.topicId, nil)
            case .removeTopic(let r, _):
                touch(r.topicId, nil)
                // The removal drops the topic's configs: a topic created again under the name starts without them.
                if let name = previous.topicsById[r.topicId]?.name {
                    configKeys[name, default: []].formUnion(previous.topicConfigs(name).keys)
                }
            case .partition(let r, _): touch(r.topicId, r.partitionId)
            case .partitionChange(let r, _): touch(r.topicId, r.partitionId)
            case .config(let r, _) where r.resourceType == ConfigResource.ResourceType.topic.rawValue:
                configKeys[r.resourceName, default: []].insert(r.name)
            case .registerBroker(let r, _): changedBrokers.insert(r.brokerId)
            case .unregisterBroker(let r, _): changedBrokers.insert(r.brokerId)
            case .fenceBroker(let r, _): changedBrokers.insert(r.id)
            case .unfenceBroker(let r, _): changedBrokers.insert(r.id)
            case .brokerRegistrationChange(let r, _): changedBrokers.insert(r.brokerId)
            default: break
            }
        }
        for (id, scope) in touched {
            guard case .partitions(let set) = scope else {
                compare(previous.topicsById[id], image.topicsById[id], only: nil)
                continue
            }
            compare(previous.topicsById[id], image.topicsById[id], only: set)
        }
        for (name, keys) in configKeys where image.topicIdsByName[name] != nil {
            let before = previous.topicConfigs(name), after = image.topicConfigs(name)
            let changed = keys.filter { before[$0] != after[$0] }
            if !changed.isEmpty { changedTopicConfigs[name] = changed }
        }
        sort()
    }

    /// The delta from `previous` to `image` found by comparing every topic: what a broker applies when it loads an
    /// image whole (at start-up, from an empty image, or from a snapshot).
    public init(from previous: MetadataImage, to image: MetadataImage) {
        self.image = image
        recordCount = 0
        for id in Set(previous.topicsById.keys).union(image.topicsById.keys) {
            compare(previous.topicsById[id], image.topicsById[id], only: nil)
        }
        for resource in Set(previous.configs.keys).union(image.configs.keys) where resource.type == .topic {
            guard image.topicIdsByName[resource.name] != nil else { continue }
            let before = previous.configs[resource] ?? [:], after = image.configs[resource] ?? [:]
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            if !changed.isEmpty { changedTopicConfigs[resource.name] = changed }
        }
        for id in Set(previous.brokers.keys).union(image.brokers.keys) where previous.brokers[id] != image.brokers[id] {
            changedBrokers.insert(id)
        }
        sort()
    }

    /// The delta of `records` on top of `previous`, replaying them (tests and tools; a driver that has replayed
    /// them already passes both images).
    public init(previous: MetadataImage, records: [MetadataRecord]) throws(MetadataReplayError) {
        self.init(previous: previous, image: try previous.replaying(records), records: records)
    }

    /// Whether the commit changed no topic, partition, topic config or broker.
    public var isEmpty: Bool {
        createdTopics.isEmpty && deletedTopics.isEmpty && partitionChanges.isEmpty && changedTopicConfigs.isEmpty
            && changedBrokers.isEmpty
    }

    /// Which partitions of a topic the records name: some, or all of them (the topic was created or removed).
    private enum Scope {
        case all
        case partitions(Set<Int32>)
    }

    private mutating func compare(_ before: TopicImage?, _ after: TopicImage?, only: Set<Int32>?) {
        guard let topic = after ?? before else { return }  // created and deleted within the commit
        if before == nil { createdTopics.append(Topic(id: topic.id, name: topic.name)) }
        if after == nil { deletedTopics.append(Topic(id: topic.id, name: topic.name)) }
        let ids = only ?? Set(before?.partitions.keys.map { $0 } ?? []).union(after?.partitions.keys.map { $0 } ?? [])
        for pid in ids {
            let p = before?.partitions[pid], n = after?.partitions[pid]
            guard p != n else { continue }
            partitionChanges.append(PartitionChange(
                topicId: topic.id, topicName: after?.name ?? topic.name, partitionId: pid, previous: p, current: n))
        }
    }

    private mutating func sort() {
        createdTopics.sort { $0.name < $1.name }
        deletedTopics.sort { $0.name < $1.name }
        // A name deleted and created again in one commit: the old topic's partitions first. Indices are sorted and
        // the changes moved once: a change holds two registrations, and a first metadata load has one per
        // partition (sorting 10,000 of them in place was a tenth of a start-up's CPU).
        let changes = partitionChanges
        let order = changes.indices.sorted { Self.precedes(changes[$0], changes[$1]) }
        partitionChanges = order.map { changes[$0] }
    }

    private static func precedes(_ a: PartitionChange, _ b: PartitionChange) -> Bool {
        if a.topicName != b.topicName { return a.topicName < b.topicName }
        if a.partitionId != b.partitionId { return a.partitionId < b.partitionId }
        let (ga, gb) = (a.current == nil ? 0 : 1, b.current == nil ? 0 : 1)
        if ga != gb { return ga < gb }
        if a.topicId.mostSignificantBits != b.topicId.mostSignificantBits {
            return a.topicId.mostSignificantBits < b.topicId.mostSignificantBits
        }
        return a.topicId.leastSignificantBits < b.topicId.leastSignificantBits
    }
}
