import KafkaProtocol
import NIOCore

/// The states of a classic group, named as Kafka names them in DescribeGroups and ListGroups.
public enum ClassicGroupState: String, Sendable, Hashable, CaseIterable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// One protocol a member supports (an assignor name and its subscription bytes), in the member's preference order.
public struct MemberProtocol: Sendable, Hashable {
    public var name: String
    public var metadata: ByteBuffer
    public init(name: String, metadata: ByteBuffer) {
        self.name = name
        self.metadata = metadata
    }
}

/// A request held until the group can answer it.
struct HeldRequest: Sendable, Hashable {
    var requestId: UInt64
    var apiVersion: Int16
}

/// A member of a classic group.
public struct ClassicGroupMember: Sendable, Hashable {
    public internal(set) var memberId: String
    /// KIP-345 static membership.
    public internal(set) var groupInstanceId: String?
    public internal(set) var clientId: String
    public internal(set) var clientHost: String
    public internal(set) var rebalanceTimeoutMs: Int32
    public internal(set) var sessionTimeoutMs: Int32
    public internal(set) var protocols: [MemberProtocol]
    /// The bytes the leader assigned in the current generation (empty until SyncGroup).
    public internal(set) var assignment: ByteBuffer = ByteBuffer()

    var heldJoin: HeldRequest?
    var heldSync: HeldRequest?
    /// Joined for the first time in this rebalance: may be dropped while awaiting join (Kafka's `isNew`).
    var isNew = false

    /// The member's subscription bytes for a protocol name.
    public func metadata(for protocolName: String?) -> ByteBuffer {
        protocols.first { $0.name == protocolName }?.metadata ?? ByteBuffer()
    }
    var isAwaitingJoin: Bool { heldJoin != nil }
    var isAwaitingSync: Bool { heldSync != nil }
    /// Members waiting in a rebalance count as alive; others must heartbeat (Kafka's `hasSatisfiedHeartbeat`).
    var hasSatisfiedHeartbeat: Bool { isNew ? false : (isAwaitingJoin || isAwaitingSync) }
}

/// A classic (JoinGroup/SyncGroup) group, Kafka's `ClassicGroup`.
public struct ClassicGroup: Sendable, Hashable {
    public let groupId: String
    public internal(set) var state: ClassicGroupState = .empty
    var previousState: ClassicGroupState = .empty
    /// When the group entered its current state (ms); offsets of an Empty group expire relative to it.
    public internal(set) var stateTimestamp: Int64 = -1
    public internal(set) var generationId: Int32 = 0
    /// nil for a simple group that only stores offsets.
    public internal(set) var protocolType: String?
    public internal(set) var protocolName: String?
    public internal(set) var leaderId: String?
    /// Members in join order (the first joiner leads).
    public internal(set) var members: [ClassicGroupMember] = []

    /// Members told MEMBER_ID_REQUIRED that have not joined with their id yet (KIP-394).
    var pendingJoinMembers: Set<String> = []
    /// Members of the new generation that have not sent SyncGroup yet.
    var pendingSyncMembers: Set<String> = []
    /// A member joined since the initial delay was last armed.
    var newMemberAdded = false
    /// Set while the initial-rebalance delay runs: the delay armed and the rebalance timeout left after it.
    var initialDelay: (delay: Int64, remaining: Int64)?

    public init(groupId: String) { self.groupId = groupId }

    public static func == (a: ClassicGroup, b: ClassicGroup) -> Bool {
        a.groupId == b.groupId && a.state == b.state && a.generationId == b.generationId && a.protocolType == b.protocolType
            && a.protocolName == b.protocolName && a.leaderId == b.leaderId && a.members == b.members
    }
    public func hash(into h: inout Hasher) { h.combine(groupId); h.combine(generationId) }

    // MARK: members

    func index(of memberId: String) -> Int? { members.firstIndex { $0.memberId == memberId } }
    public func member(_ memberId: String) -> ClassicGroupMember? { index(of: memberId).map { members[$0] } }
    func hasMember(_ memberId: String) -> Bool { index(of: memberId) != nil }
    /// The member id currently holding a static instance id.
    public func staticMemberId(_ instanceId: String) -> String? {
        members.first { $0.groupInstanceId == instanceId }?.memberId
    }
    func isLeader(_ memberId: String) -> Bool { leaderId == memberId }

    mutating func add(_ member: ClassicGroupMember) {
        if leaderId == nil { leaderId = member.memberId }
        members.append(member)
    }

    /// Removes a member; a removed leader passes leadership to the first member still waiting in the join
    /// phase, else to the first member.
    @discardableResult
    mutating func remove(_ memberId: String) -> ClassicGroupMember? {
        pendingJoinMembers.remove(memberId)
        pendingSyncMembers.remove(memberId)
        guard let i = index(of: memberId) else { return nil }
        let removed = members.remove(at: i)
        if leaderId == memberId {
            leaderId = (members.first { $0.isAwaitingJoin } ?? members.first)?.memberId
        }
        return removed
    }

    mutating func update(_ memberId: String, _ body: (inout ClassicGroupMember) -> Void) {
        if let i = index(of: memberId) { body(&members[i]) }
    }

    mutating func transition(to newState: ClassicGroupState, now: Int64) {
        previousState = state
        state = newState
        stateTimestamp = now
    }

    // MARK: rebalance bookkeeping

    var canRebalance: Bool { state == .stable || state == .completingRebalance || state == .empty }
    var numAwaitingJoin: Int { members.filter(\.isAwaitingJoin).count }
    var hasAllMembersJoined: Bool { members.allSatisfy(\.isAwaitingJoin) && pendingJoinMembers.isEmpty }
    /// The longest rebalance timeout among members: how long the join phase may last.
    var rebalanceTimeoutMs: Int64 { Int64(members.map(\.rebalanceTimeoutMs).max() ?? 0) }

    /// Whether a joining member's protocols fit the group: any non-empty set for an Empty group, else the same
    /// protocol type and at least one protocol every current member supports.
    func supportsProtocols(type: String, protocols: [MemberProtocol]) -> Bool {
        if state == .empty || members.isEmpty { return !type.isEmpty && !protocols.isEmpty }
        guard protocolType == type else { return false }
        let names = Set(protocols.map(\.name))
        return candidateProtocols.contains { names.contains($0) }
    }

    /// Protocol names every member supports.
    var candidateProtocols: Set<String> {
        guard var common = members.first.map({ Set($0.protocols.map(\.name)) }) else { return [] }
        for m in members.dropFirst() { common.formIntersection(m.protocols.map(\.name)) }
        return common
    }

    /// Kafka's vote: each member votes for its most preferred protocol among those all members support; the
    /// protocol with the most votes wins (ties go to the one the earliest joiner prefers, for determinism).
    func selectProtocol() -> String? {
        let candidates = candidateProtocols
        guard !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        var firstSeen: [String] = []
        for m in members {
            guard let vote = m.protocols.first(where: { candidates.contains($0.name) })?.name else { continue }
            if votes[vote] == nil { firstSeen.append(vote) }
            votes[vote, default: 0] += 1
        }
        var best: String?
        for name in firstSeen where best == nil || votes[name]! > votes[best!]! { best = name }
        return best
    }

    /// Topics the members subscribe to in the selected protocol, when the group runs the consumer protocol and
    /// every subscription parses; nil otherwise (then OffsetDelete and expiry treat no topic as subscribed).
    var subscribedTopics: Set<String>? {
        guard protocolType == "consumer", state != .empty, let protocolName else { return nil }
        var topics: Set<String> = []
        for m in members {
            var bytes = m.metadata(for: protocolName)
            guard bytes.readableBytes >= 2, let version: Int16 = bytes.readInteger(endianness: .big),
                let sub = try? ConsumerProtocolSubscription(
                    from: &bytes, version: min(max(version, 0), ConsumerProtocolSubscription.validVersions.upperBound))
            else { return nil }
            topics.formUnion(sub.topics)
        }
        return topics
    }
}
