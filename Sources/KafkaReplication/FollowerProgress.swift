/// What a partition leader knows of one follower, from that follower's fetches (Kafka's `ReplicaState`).
public struct FollowerProgress: Hashable, Sendable {
    /// Kafka's "unknown offset".
    public static let unknown: Int64 = -1

    /// The follower's log end: the offset it fetched from last.
    public internal(set) var logEndOffset: Int64 = unknown
    public internal(set) var logStartOffset: Int64 = unknown
    /// The leader's log end when that fetch was served, the largest seen.
    public internal(set) var lastFetchLeaderLogEndOffset: Int64 = unknown
    public internal(set) var lastFetchTimeMs: Int64 = 0
    /// The last time the follower was known to have everything the leader had then.
    public internal(set) var lastCaughtUpTimeMs: Int64 = 0
    /// The broker epoch the follower fetched with (KIP-903); -1 when it sent none.
    public internal(set) var brokerEpoch: Int64 = -1

    /// A follower as a new leader sees it: nothing known of its log; an ISR member counts as caught up now, so
    /// it keeps its place for one lag interval, and any other from the epoch start, so it does not hold back the
    /// high watermark (Kafka's `resetReplicaState` for a new leader).
    init(inSync: Bool, now: Int64) {
        lastCaughtUpTimeMs = inSync ? now : 0
    }

    /// A fetch at `fetchOffset` served while the leader's log ended at `leaderEndOffset`.
    ///
    /// Caught up when it asks for the leader's end; or, when it reached what the leader had at its previous
    /// fetch, caught up as of that previous fetch (Kafka's rule: lag is measured in time, not offsets).
    mutating func recordFetch(fetchOffset: Int64, logStartOffset: Int64, brokerEpoch: Int64, leaderEndOffset: Int64, now: Int64) {
        if fetchOffset >= leaderEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
        }
        self.logEndOffset = fetchOffset
        self.logStartOffset = logStartOffset
        self.lastFetchLeaderLogEndOffset = max(leaderEndOffset, lastFetchLeaderLogEndOffset)
        self.lastFetchTimeMs = now
        self.brokerEpoch = brokerEpoch
    }

    /// Kafka's `isCaughtUp`: at the leader's end, or caught up no longer than `maxLagMs` ago.
    func isCaughtUp(leaderEndOffset: Int64, now: Int64, maxLagMs: Int64) -> Bool {
        leaderEndOffset == logEndOffset || now - lastCaughtUpTimeMs <= maxLagMs
    }
}
