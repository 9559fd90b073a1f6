import KafkaProtocol

/// The state of one partition as the metadata log records it.
public struct PartitionRegistration: Hashable, Sendable {
    /// Kafka's sentinel for "no leader".
    public static let noLeader: Int32 = -1
    /// PartitionChangeRecord's sentinel for "leader unchanged".
    public static let noLeaderChange: Int32 = -2
    /// The directory id of a replica whose directory is not yet known (KIP-858 `DirectoryId.UNASSIGNED`).
    public static let unassignedDirectory = KafkaUUID.zero
    /// KIP-858 `DirectoryId.MIGRATING`: the replica's directory is being learnt from a pre-3.7 broker.
    public static let migratingDirectory = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 2)

    public var partitionId: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var removingReplicas: [Int32]
    public var addingReplicas: [Int32]
    public var leader: Int32
    /// 0 recovered, 1 recovering (after an unclean election, KIP-704).
    public var leaderRecoveryState: Int8
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    /// One log directory id per replica (KIP-858); empty when the record version has none.
    public var directories: [KafkaUUID]
    public var eligibleLeaderReplicas: [Int32]
    public var lastKnownElr: [Int32]

    public init(
        partitionId: Int32, replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0,
        partitionEpoch: Int32 = 0, removingReplicas: [Int32] = [], addingReplicas: [Int32] = [],
        leaderRecoveryState: Int8 = 0, directories: [KafkaUUID] = [], eligibleLeaderReplicas: [Int32] = [],
        lastKnownElr: [Int32] = []
    ) {
        self.partitionId = partitionId
        self.replicas = replicas
        self.isr = isr
        self.removingReplicas = removingReplicas
        self.addingReplicas = addingReplicas
        self.leader = leader
        self.leaderRecoveryState = leaderRecoveryState
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.directories = directories
        self.eligibleLeaderReplicas = eligibleLeaderReplicas
        self.lastKnownElr = lastKnownElr
    }

    init(record r: PartitionRecord) {
        self.init(
            partitionId: r.partitionId, replicas: r.replicas, isr: r.isr, leader: r.leader,
            leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch, removingReplicas: r.removingReplicas,
            addingReplicas: r.addingReplicas, leaderRecoveryState: r.leaderRecoveryState,
            directories: r.directories, eligibleLeaderReplicas: r.eligibleLeaderReplicas ?? [],
            lastKnownElr: r.lastKnownElr ?? [])
    }

    /// The registration after a PartitionChangeRecord: absent fields keep their value, a leader change bumps the
    /// leader epoch, and every change bumps the partition epoch (KIP-631).
    func merging(_ change: PartitionChangeRecord) -> PartitionRegistration {
        var next = self
        if let newReplicas = change.replicas {
            next.replicas = newReplicas
            if change.directories == nil {
                // A replica that stays keeps its directory; a new one starts unassigned (KIP-858).
                var byBroker: [Int32: KafkaUUID] = [:]
                for (i, broker) in replicas.enumerated() where i < directories.count { byBroker[broker] = directories[i] }
                next.directories = directories.isEmpty
                    ? [] : newReplicas.map { byBroker[$0] ?? Self.unassignedDirectory }
            }
        }
        if let dirs = change.directories { next.directories = dirs }
        if let isr = change.isr { next.isr = isr }
        if let removing = change.removingReplicas { next.removingReplicas = removing }
        if let adding = change.addingReplicas { next.addingReplicas = adding }
        if change.leader != Self.noLeaderChange {
            next.leader = change.leader
            next.leaderEpoch = leaderEpoch + 1
        }
        if change.leaderRecoveryState != -1 { next.leaderRecoveryState = change.leaderRecoveryState }
        if let elr = change.eligibleLeaderReplicas { next.eligibleLeaderReplicas = elr }
        if let lastKnown = change.lastKnownElr { next.lastKnownElr = lastKnown }
        next.partitionEpoch = partitionEpoch + 1
        return next
    }
}
