import KafkaProtocol
import Testing
@testable import KafkaServer

/// Incremental fetch sessions (KIP-227) as a pure value.
@Suite struct FetchSessionCacheTests {
    func target(_ p: Int32, offset: Int64 = 0) -> FetchTarget {
        FetchTarget(topic: "t", topicId: .zero, requestTopic: "t", partition: p, fetchOffset: offset, maxBytes: 1000)
    }

    @Test func sessionlessFetchCreatesNothing() {
        var cache = FetchSessionCache()
        guard case .full(let targets, let id) = cache.plan(sessionId: 0, epoch: -1, targets: [target(0)], forgotten: [], now: 0) else {
            Issue.record("expected a full fetch"); return
        }
        #expect(id == 0 && targets.count == 1 && cache.sessions.isEmpty)
    }

    @Test func incrementalRequestsKeepPartitionsAndCheckEpochs() {
        var cache = FetchSessionCache()
        guard case .full(_, let id) = cache.plan(sessionId: 0, epoch: 0, targets: [target(0), target(1)], forgotten: [], now: 0), id != 0 else {
            Issue.record("expected a new session"); return
        }
        // Epoch 1 names only partition 1 with a new offset; the session still serves both, 1 moved.
        guard case .incremental(let targets, _) = cache.plan(sessionId: id, epoch: 1, targets: [target(1, offset: 5)], forgotten: [], now: 1) else {
            Issue.record("expected incremental"); return
        }
        #expect(targets.map(\.partition) == [0, 1])
        #expect(targets.first { $0.partition == 1 }?.fetchOffset == 5)
        // A repeated epoch is refused; an unknown session too.
        if case .error(let e) = cache.plan(sessionId: id, epoch: 1, targets: [], forgotten: [], now: 2) { #expect(e == .invalidFetchSessionEpoch) } else { Issue.record("stale epoch accepted") }
        if case .error(let e) = cache.plan(sessionId: id + 7, epoch: 1, targets: [], forgotten: [], now: 2) { #expect(e == .fetchSessionIdNotFound) } else { Issue.record("unknown session accepted") }
        // Forgetting partition 0 leaves partition 1.
        guard case .incremental(let after, _) = cache.plan(sessionId: id, epoch: 2, targets: [], forgotten: [target(0).key], now: 3) else {
            Issue.record("expected incremental"); return
        }
        #expect(after.map(\.partition) == [1])
        // Epoch -1 closes the session.
        _ = cache.plan(sessionId: id, epoch: -1, targets: [target(1)], forgotten: [], now: 4)
        #expect(cache.sessions[id] == nil)
    }

    @Test func newsIsWhatTheClientWasNotToldYet() {
        var cache = FetchSessionCache()
        guard case .full(_, let id) = cache.plan(sessionId: 0, epoch: 0, targets: [target(0)], forgotten: [], now: 0) else { return }
        let seen = FetchSessionCache.Seen(highWatermark: 10, lastStableOffset: 10, logStartOffset: 0)
        #expect(cache.hasNews(sessionId: id, key: target(0).key, seen: seen))
        cache.commit(sessionId: id, seen: [(target(0).key, seen)])
        #expect(!cache.hasNews(sessionId: id, key: target(0).key, seen: seen))
        #expect(cache.hasNews(sessionId: id, key: target(0).key, seen: .init(highWatermark: 11, lastStableOffset: 11, logStartOffset: 0)))
    }

    @Test func fullCacheEvictsTheLeastRecentlyUsedSession() {
        var cache = FetchSessionCache()
        cache.capacity = 2
        var ids: [Int32] = []
        for now in 0..<3 {
            if case .full(_, let id) = cache.plan(sessionId: 0, epoch: 0, targets: [target(0)], forgotten: [], now: Int64(now)) { ids.append(id) }
        }
        #expect(cache.sessions.count == 2)
        #expect(cache.sessions[ids[0]] == nil)
    }
}
