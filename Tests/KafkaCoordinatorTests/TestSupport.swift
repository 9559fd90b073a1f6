import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// A minimal in-memory driver: handles events, round-trips every record through the byte codec, appends it to a
/// log, replays it, keeps the timers and fires them as the clock advances.
struct Harness {
    var shard: GroupCoordinatorShard
    var now: Int64 = 0
    var timers: [TimerKey: Int64] = [:]
    /// Every record written, as bytes (key, value) in append order.
    var log: [(key: ByteBuffer, value: ByteBuffer?)] = []
    /// Replies not yet collected, by request id.
    var replies: [UInt64: GroupResponse] = [:]
    var nextRequestId: UInt64 = 1

    init(config: GroupCoordinatorConfig = GroupCoordinatorConfig(), seed: UInt64 = 42) {
        shard = GroupCoordinatorShard(config: config, memberIds: MemberIdGenerator(seed: seed))
    }

    @discardableResult
    mutating func apply(_ result: GroupResult) -> GroupResult {
        for record in result.records {
            let key = try! record.encodeKey()
            let value = try! record.encodeValue()
            log.append((key, value))
            let decoded = try! CoordinatorRecord(key: key, value: value)
            if let p = result.transactional {
                shard.replayTransactional(decoded, producerId: p.producerId, producerEpoch: p.producerEpoch)
            } else {
                shard.replay(decoded)
            }
        }
        for r in result.replies {
            #expect(replies[r.requestId] == nil, "two replies to request \(r.requestId)")
            replies[r.requestId] = r.response
        }
        for t in result.timers {
            switch t {
            case .schedule(let key, let deadline): timers[key] = deadline
            case .cancel(let key): timers[key] = nil
            }
        }
        return result
    }

    /// Sends a request; returns its id (the reply may come later).
    @discardableResult
    mutating func send(_ make: (RequestContext) -> GroupEvent, version: Int16, clientId: String = "client") -> UInt64 {
        let id = nextRequestId
        nextRequestId += 1
        let ctx = RequestContext(requestId: id, apiVersion: version, clientId: clientId, clientHost: "/127.0.0.1")
        apply(shard.handle(make(ctx), now: now))
        return id
    }

    /// Takes the reply to a request, if it came.
    mutating func take(_ id: UInt64) -> GroupResponse? { replies.removeValue(forKey: id) }

    /// Advances the clock, firing due timers in deadline order.
    mutating func advance(by ms: Int64) {
        let target = now + ms
        while let (key, deadline) = timers.filter({ $0.value <= target }).min(by: { ($0.value, "\($0.key)") < ($1.value, "\($1.key)") }) {
            timers[key] = nil
            now = max(now, deadline)
            apply(shard.handle(.timerFired(key), now: now))
        }
        now = target
    }

    // MARK: typed helpers

    mutating func join(
        _ group: String = "g", member: String = "", instance: String? = nil, version: Int16 = 9, session: Int32 = 10_000,
        rebalance: Int32 = 30_000, protocols: [(String, ByteBuffer)] = [("range", subscription(["t"]))],
        type: String = "consumer", clientId: String = "client"
    ) -> UInt64 {
        var r = JoinGroupRequest()
        r.groupId = group
        r.memberId = member
        r.groupInstanceId = instance
        r.sessionTimeoutMs = session
        r.rebalanceTimeoutMs = rebalance
        r.protocolType = type
        r.protocols = protocols.map { name, meta in
            var p = JoinGroupRequest.JoinGroupRequestProtocol()
            p.name = name
            p.metadata = meta
            return p
        }
        return send({ .joinGroup($0, r) }, version: version, clientId: clientId)
    }

    /// JoinGroup v4+ twice (MEMBER_ID_REQUIRED, then with the id); returns the member id and the held request.
    mutating func joinNew(_ group: String = "g", instance: String? = nil, protocols: [(String, ByteBuffer)] = [("range", subscription(["t"]))], session: Int32 = 10_000, rebalance: Int32 = 30_000) -> (String, UInt64) {
        if instance != nil {
            let id = join(group, instance: instance, session: session, rebalance: rebalance, protocols: protocols)
            return ("", id)
        }
        let first = join(group, session: session, rebalance: rebalance, protocols: protocols)
        guard case .joinGroup(let r)? = take(first) else { Issue.record("no MEMBER_ID_REQUIRED"); return ("", 0) }
        #expect(r.errorCode == KafkaError.memberIdRequired.rawValue)
        let second = join(group, member: r.memberId, session: session, rebalance: rebalance, protocols: protocols)
        return (r.memberId, second)
    }

    mutating func joinReply(_ id: UInt64) -> JoinGroupResponse? {
        if case .joinGroup(let r)? = take(id) { return r }
        return nil
    }

    mutating func sync(_ group: String = "g", member: String, generation: Int32, instance: String? = nil, assignments: [String: ByteBuffer] = [:], version: Int16 = 5) -> UInt64 {
        var r = SyncGroupRequest()
        r.groupId = group
        r.memberId = member
        r.generationId = generation
        r.groupInstanceId = instance
        r.assignments = assignments.sorted { $0.key < $1.key }.map { id, bytes in
            var a = SyncGroupRequest.SyncGroupRequestAssignment()
            a.memberId = id
            a.assignment = bytes
            return a
        }
        return send({ .syncGroup($0, r) }, version: version)
    }

    mutating func syncReply(_ id: UInt64) -> SyncGroupResponse? {
        if case .syncGroup(let r)? = take(id) { return r }
        return nil
    }

    mutating func heartbeat(_ group: String = "g", member: String, generation: Int32, instance: String? = nil) -> Int16 {
        var r = HeartbeatRequest()
        r.groupId = group
        r.memberId = member
        r.generationId = generation
        r.groupInstanceId = instance
        let id = send({ .heartbeat($0, r) }, version: 4)
        return take(id)!.errorCode
    }

    mutating func leave(_ group: String = "g", members: [(String, String?)], version: Int16 = 5) -> LeaveGroupResponse {
        var r = LeaveGroupRequest()
        r.groupId = group
        if version < 3 {
            r.memberId = members.first?.0 ?? ""
        } else {
            r.members = members.map { m, i in
                var x = LeaveGroupRequest.MemberIdentity()
                x.memberId = m
                x.groupInstanceId = i
                return x
            }
        }
        let id = send({ .leaveGroup($0, r) }, version: version)
        guard case .leaveGroup(let resp)? = take(id) else { fatalError("no leave reply") }
        return resp
    }

    mutating func commit(_ group: String = "g", member: String = "", generation: Int32 = -1, instance: String? = nil, offsets: [(String, Int32, Int64)], metadata: String = "", leaderEpoch: Int32 = -1, version: Int16 = 9, retention: Int64 = -1) -> [Int16] {
        var r = OffsetCommitRequest()
        r.groupId = group
        r.memberId = member
        r.generationIdOrMemberEpoch = generation
        r.groupInstanceId = instance
        r.retentionTimeMs = retention
        var byTopic: [String: [OffsetCommitRequest.OffsetCommitRequestPartition]] = [:]
        var order: [String] = []
        for (t, p, o) in offsets {
            var x = OffsetCommitRequest.OffsetCommitRequestPartition()
            x.partitionIndex = p
            x.committedOffset = o
            x.committedMetadata = metadata
            x.committedLeaderEpoch = leaderEpoch
            if byTopic[t] == nil { order.append(t) }
            byTopic[t, default: []].append(x)
        }
        r.topics = order.map { t in
            var x = OffsetCommitRequest.OffsetCommitRequestTopic()
            x.name = t
            x.partitions = byTopic[t]!
            return x
        }
        let id = send({ .offsetCommit($0, r) }, version: version)
        guard case .offsetCommit(let resp)? = take(id) else { fatalError("no commit reply") }
        return resp.topics.flatMap(\.partitions).map(\.errorCode)
    }

    /// OffsetFetch v8 for one group; nil topics = all.
    mutating func fetch(_ group: String = "g", topics: [(String, [Int32])]?) -> [String: [Int32: (Int64, Int32, String?)]] {
        var r = OffsetFetchRequest()
        var g = OffsetFetchRequest.OffsetFetchRequestGroup()
        g.groupId = group
        g.topics = topics.map { $0.map { name, parts in
            var t = OffsetFetchRequest.OffsetFetchRequestTopics()
            t.name = name
            t.partitionIndexes = parts
            return t
        } }
        r.groups = [g]
        let id = send({ .offsetFetch($0, r) }, version: 8)
        guard case .offsetFetch(let resp)? = take(id) else { fatalError("no fetch reply") }
        var out: [String: [Int32: (Int64, Int32, String?)]] = [:]
        for t in resp.groups[0].topics {
            for p in t.partitions { out[t.name, default: [:]][p.partitionIndex] = (p.committedOffset, p.committedLeaderEpoch, p.metadata) }
        }
        return out
    }

    var group: ClassicGroup? { shard.groups["g"] }
}

/// ConsumerProtocolSubscription bytes (version 0 header + struct), as a Java consumer sends them.
func subscription(_ topics: [String], version: Int16 = 1) -> ByteBuffer {
    var s = ConsumerProtocolSubscription()
    s.topics = topics
    var b = ByteBuffer()
    b.writeInteger(version, endianness: .big)
    try! s.encode(into: &b, version: version)
    return b
}

func bytes(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

func code(_ e: KafkaError) -> Int16 { e.rawValue }

/// SplitMix64: the seeded generator of every randomized test here, so a failure replays from its printed seed.
struct SimRandom: RandomNumberGenerator {
    var state: UInt64
    init(state: UInt64) { self.state = state }
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}
