import KafkaProtocol

/// Partitions of topics, by topic id: what a member is assigned (or owns).
public typealias TopicPartitionSet = [KafkaUUID: Set<Int32>]

/// What a server-side assignor (KIP-848) is given: every member with the topics it subscribes to and its
/// current target assignment (so the assignor can be sticky), and the subscribed topics' partition counts.
public struct AssignmentSpec: Sendable, Hashable {
    /// One member of the group.
    public struct Member: Sendable, Hashable {
        public var memberId: String
        /// KIP-345 instance id, if the member is static.
        public var instanceId: String?
        public var rackId: String?
        /// Ids of the topics the member subscribes to (names and resolved regexes), only topics that exist.
        public var subscribedTopicIds: Set<KafkaUUID>
        /// The member's target assignment before this computation (empty for a new member).
        public var currentAssignment: TopicPartitionSet

        public init(memberId: String, instanceId: String? = nil, rackId: String? = nil,
                    subscribedTopicIds: Set<KafkaUUID>, currentAssignment: TopicPartitionSet = [:]) {
            self.memberId = memberId
            self.instanceId = instanceId
            self.rackId = rackId
            self.subscribedTopicIds = subscribedTopicIds
            self.currentAssignment = currentAssignment
        }
    }

    /// One subscribed topic.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitionCount: Int32
        public init(name: String, partitionCount: Int32) {
            self.name = name
            self.partitionCount = partitionCount
        }
    }

    /// Members, sorted by member id.
    public var members: [Member]
    /// Every topic some member subscribes to, by id.
    public var topics: [KafkaUUID: Topic]

    public init(members: [Member], topics: [KafkaUUID: Topic]) {
        self.members = members.sorted { $0.memberId < $1.memberId }
        self.topics = topics
    }
}

/// A server-side assignor: computes the target assignment of a consumer group (KIP-848).
///
/// Contract: every partition of every topic some member subscribes to is assigned to exactly one member that
/// subscribes to its topic; no member gets a partition of a topic it does not subscribe to; every member of the
/// spec appears in the result (possibly with an empty assignment). Pure and deterministic.
public protocol ConsumerGroupAssignor: Sendable {
    /// The name clients select it by (`group.remote.assignor`).
    var name: String { get }
    func assign(_ spec: AssignmentSpec) -> [String: TopicPartitionSet]
}

/// The assignors a broker offers, with Kafka's default (`group.consumer.assignors` = uniform, range).
public enum ConsumerGroupAssignors {
    public static let all: [any ConsumerGroupAssignor] = [UniformAssignor(), RangeAssignor()]
    public static let defaultName = "uniform"

    public static func named(_ name: String) -> (any ConsumerGroupAssignor)? {
        all.first { $0.name == name }
    }
}
