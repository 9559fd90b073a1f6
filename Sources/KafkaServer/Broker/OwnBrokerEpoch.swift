import Synchronization

/// This process's broker epoch: -1 until its registration is accepted, then the epoch the controller gave it.
///
/// Not the epoch the metadata image shows for this node id. After a restart the image (replayed from this node's
/// disk, then caught up) still holds the previous incarnation's registration until that one is fenced or replaced,
/// and a request sent with that epoch — AlterPartition from a partition this node led before it crashed, the
/// broker epoch in a follower's Fetch (KIP-903), AllocateProducerIds, controlled shutdown — would be taken as the
/// previous incarnation's. The fault rounds found it: a node restarted after losing its unflushed tail replayed
/// itself as leader and shrank the ISR to itself with its old epoch, so the replicas holding the committed records
/// left the ISR. Kafka's brokers use their lifecycle manager's epoch for the same reason (STALE_BROKER_EPOCH).
final class OwnBrokerEpoch: Sendable {
    private let value = Mutex<Int64>(-1)

    /// -1 before the registration.
    var current: Int64 { value.withLock { $0 } }

    func set(_ epoch: Int64) { value.withLock { $0 = epoch } }
}
