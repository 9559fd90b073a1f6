import KafkaProtocol

/// One partition of a fetch as the broker serves it: which partition, from where, how much.
struct FetchTarget: Sendable {
    /// Topic name, resolved from the topic id for v13+ (nil when the id is unknown).
    var topic: String?
    var topicId: KafkaUUID
    /// The name the request used (empty for v13+), echoed in the response.
    var requestTopic: String
    var partition: Int32
    var fetchOffset: Int64
    var maxBytes: Int32
    /// The leader epoch the client believes current (v9+), -1 when it sent none.
    var currentLeaderEpoch: Int32 = -1
    /// The epoch of the last record the fetcher holds (v12+, sent by followers), -1 when none.
    var lastFetchedEpoch: Int32 = -1
    /// The fetcher's log start (followers, v5+), -1 when not sent.
    var logStartOffset: Int64 = -1

    var key: FetchSessionCache.Key { .init(topic: requestTopic, topicId: topicId, partition: partition) }
}

/// Incremental fetch sessions (KIP-227), a pure value: the broker remembers each session's partitions and what it
/// last told the client about them, so an incremental request names only the partitions whose fetch position moved
/// and the response carries only the partitions with news (data, an error, or a changed high watermark, last stable
/// offset or log start offset).
struct FetchSessionCache: Sendable {
    struct Key: Hashable, Sendable {
        var topic: String
        var topicId: KafkaUUID
        var partition: Int32
    }

    struct Seen: Sendable, Equatable {
        var highWatermark: Int64
        var lastStableOffset: Int64
        var logStartOffset: Int64
    }

    struct Session: Sendable {
        var id: Int32
        /// The epoch the next incremental request must carry.
        var nextEpoch: Int32
        var targets: [Key: FetchTarget] = [:]
        /// Partition order: insertion order, as Kafka's session keeps it.
        var order: [Key] = []
        var seen: [Key: Seen] = [:]
        var lastUsed: Int64
    }

    /// How a request is to be served.
    enum Plan: Sendable {
        /// No session: serve the listed partitions, answer with session id 0 and every partition.
        case full(targets: [FetchTarget], sessionId: Int32)
        /// An incremental request of an existing session: serve all its partitions, answer only the changed ones.
        case incremental(targets: [FetchTarget], sessionId: Int32)
        /// FETCH_SESSION_ID_NOT_FOUND or INVALID_FETCH_SESSION_EPOCH, with no partitions.
        case error(KafkaError)
    }

    /// Kafka's `max.incremental.fetch.session.cache.slots`.
    var capacity = 1000
    private(set) var sessions: [Int32: Session] = [:]
    private var nextId: Int32 = 1

    /// Works out the plan for a request: `sessionId`/`epoch` as sent, its partitions and forgotten partitions.
    mutating func plan(sessionId: Int32, epoch: Int32, targets: [FetchTarget], forgotten: [Key], now: Int64) -> Plan {
        switch (sessionId, epoch) {
        case (0, -1):
            return .full(targets: targets, sessionId: 0)
        case (_, -1):
            // The client closes its session and fetches without one.
            sessions[sessionId] = nil
            return .full(targets: targets, sessionId: 0)
        case (0, 0):
            guard makeRoom() else { return .full(targets: targets, sessionId: 0) }
            let id = allocateId()
            var session = Session(id: id, nextEpoch: 1, lastUsed: now)
            for t in targets { add(t, to: &session) }
            sessions[id] = session
            return .full(targets: session.order.compactMap { session.targets[$0] }, sessionId: id)
        case (0, _):
            return .error(.invalidFetchSessionEpoch)
        default:
            guard var session = sessions[sessionId] else { return .error(.fetchSessionIdNotFound) }
            if epoch == 0 {
                // A new full request reusing an id: Kafka treats epoch 0 as "start over".
                sessions[sessionId] = nil
                return plan(sessionId: 0, epoch: 0, targets: targets, forgotten: forgotten, now: now)
            }
            guard epoch == session.nextEpoch else { return .error(.invalidFetchSessionEpoch) }
            for k in forgotten {
                session.targets[k] = nil
                session.seen[k] = nil
                session.order.removeAll { $0 == k }
            }
            for t in targets { add(t, to: &session) }
            session.nextEpoch = epoch == Int32.max ? 1 : epoch + 1
            session.lastUsed = now
            sessions[sessionId] = session
            return .incremental(targets: session.order.compactMap { session.targets[$0] }, sessionId: sessionId)
        }
    }

    /// Whether a partition's answer has news for the client, given what it was last told; records `seen` when the
    /// response is actually sent (`commit`).
    func hasNews(sessionId: Int32, key: Key, seen: Seen) -> Bool {
        sessions[sessionId]?.seen[key] != seen
    }

    /// Remembers what a sent response told the client.
    mutating func commit(sessionId: Int32, seen: [(Key, Seen)]) {
        guard sessionId != 0, var session = sessions[sessionId] else { return }
        for (k, s) in seen { session.seen[k] = s }
        sessions[sessionId] = session
    }

    private mutating func add(_ t: FetchTarget, to session: inout Session) {
        if session.targets[t.key] == nil { session.order.append(t.key) }
        session.targets[t.key] = t
    }

    /// Frees a slot when full by evicting the least recently used session; false when capacity is 0.
    private mutating func makeRoom() -> Bool {
        guard capacity > 0 else { return false }
        if sessions.count >= capacity, let lru = sessions.values.min(by: { $0.lastUsed < $1.lastUsed }) {
            sessions[lru.id] = nil
        }
        return true
    }

    private mutating func allocateId() -> Int32 {
        repeat {
            nextId = nextId == Int32.max ? 1 : nextId + 1
        } while sessions[nextId] != nil
        return nextId
    }
}
