import Testing
@testable import KafkaStorage

@Suite struct GroupCommitTests {
    @Test func appendsShareFsyncs() {
        var queue = GroupCommitQueue<String>(durableOffset: 0, windowMs: 2)
        #expect(queue.waitDurable(upTo: 0, "old", now: 0) == .completed)
        #expect(queue.waitDurable(upTo: 5, "a", now: 10) == .scheduleFlush(at: 12))
        #expect(queue.waitDurable(upTo: 9, "b", now: 11) == .none)
        #expect(queue.startFlush(logEndOffset: 9, now: 11) == nil)  // window not over
        #expect(queue.startFlush(logEndOffset: 9, now: 12) == 9)
        #expect(queue.waitDurable(upTo: 12, "c", now: 12) == .none)  // arrives during the fsync
        let first = queue.flushSucceeded(upTo: 9, now: 13)
        #expect(first.completed == ["a", "b"] && first.nextFlushAt == 13)
        #expect(queue.startFlush(logEndOffset: 12, now: 13) == 12)
        #expect(queue.flushSucceeded(upTo: 12, now: 14).completed == ["c"])
        #expect(queue.durableOffset == 12 && queue.pendingCount == 0)
        #expect(queue.waitDurable(upTo: 20, "d", now: 20) == .scheduleFlush(at: 22))
        #expect(queue.startFlush(logEndOffset: 20, now: 22) == 20)
        #expect(queue.flushFailed() == ["d"])
    }
}
