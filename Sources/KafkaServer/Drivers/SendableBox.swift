import KafkaMetadata
import Synchronization

/// A value behind a mutex, for state shared across tasks.
final class SendableBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Specs of the internal topics the coordinators create on first use.
enum CreateTopicSpecFactory {
    static func internalTopic(_ name: String, partitions: Int32, replicationFactor: Int16, configs: [(String, String)]) -> CreateTopicSpec {
        CreateTopicSpec(name: name, numPartitions: partitions, replicationFactor: replicationFactor,
                        configs: configs.map { .init(name: $0.0, value: $0.1) })
    }
}
