import KafkaMetadata
import Synchronization

/// The channel a controller listener's handlers use: this node's own controller, never forwarded on (a forwarded
/// request that reaches a controller which is not active gets NOT_CONTROLLER, and the broker asks elsewhere, as
/// with Kafka). Bound once the controller exists: the listener opens first, because the Raft node serves on it.
final class LocalControllerChannel: ControllerChannel {
    private let driver = Mutex<MetadataDriver?>(nil)

    func bind(_ metadata: MetadataDriver) { driver.withLock { $0 = metadata } }

    func submit(_ command: ControllerCommand) async throws -> ControllerReply {
        guard let metadata = driver.withLock({ $0 }) else {
            return .refusing(command, with: ApiError(.notController, "this node's controller is still starting"))
        }
        return try await metadata.submit(command)
    }
}
