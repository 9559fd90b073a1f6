import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct CleanerPlannerTests {
    func segments(_ sizes: [Int64], step: Int64 = 100, largest: Int64 = 0) -> [CleanerPlanner.Segment] {
        sizes.enumerated().map { i, size in
            .init(baseOffset: Int64(i) * step, size: size, largestTimestamp: largest + Int64(i), firstBatchTimestamp: largest)
        }
    }

    @Test func dirtyRatioAndFirstUncleanableOffset() {
        var config = LogConfig()
        config.compact = true
        // Four rolled segments of 100 bytes and the active one; cleaned up to 200.
        let state = CleanerPlanner.LogState(segments: segments([100, 100, 100, 100, 50]), logStartOffset: 0,
                                            logEndOffset: 450, lastStableOffset: 450, checkpoint: 200)
        let a = CleanerPlanner.assess(state, config: config, now: 1_000)
        #expect(a.firstDirtyOffset == 200)
        #expect(a.firstUncleanableOffset == 400)
        #expect(a.cleanBytes == 200 && a.cleanableBytes == 200)
        #expect(a.cleanableRatio == 0.5)
        #expect(!a.isCleanable(minCleanableRatio: 0.5))
        #expect(a.isCleanable(minCleanableRatio: 0.49))
        // The last stable offset bounds it, and a checkpoint outside the log restarts at the log start.
        var lso = state
        lso.lastStableOffset = 250
        lso.checkpoint = 9_999
        let b = CleanerPlanner.assess(lso, config: config, now: 1_000)
        #expect(b.firstDirtyOffset == 0 && b.firstUncleanableOffset == 250)
        // min.compaction.lag.ms: the first segment whose newest record is younger than the lag.
        config.minCompactionLagMs = 500
        let lagged = CleanerPlanner.LogState(segments: segments([100, 100, 100, 100, 50], largest: 400), logStartOffset: 0,
                                             logEndOffset: 450, lastStableOffset: 450, checkpoint: nil)
        #expect(CleanerPlanner.assess(lagged, config: config, now: 901).firstUncleanableOffset == 200)
        // max.compaction.lag.ms forces a cleaning whatever the ratio.
        config.minCompactionLagMs = 0
        config.maxCompactionLagMs = 100
        let forced = CleanerPlanner.assess(state, config: config, now: 1_000)
        #expect(forced.needCompactionNow && forced.isCleanable(minCleanableRatio: 0.99))
        // A delete horizon that passed makes even a clean log cleanable (KIP-534).
        var clean = state
        clean.checkpoint = 400
        clean.pendingDeleteHorizon = 900
        #expect(CleanerPlanner.assess(clean, config: LogConfig(), now: 1_000).isCleanable(minCleanableRatio: 0.5))
        clean.pendingDeleteHorizon = 2_000
        #expect(!CleanerPlanner.assess(clean, config: LogConfig(), now: 1_000).isCleanable(minCleanableRatio: 0.5))
    }

    @Test func groupsStayWithinSegmentBytesAndRelativeOffsets() {
        let segs = segments([400, 300, 300, 900, 100, 100])
        let next = segs.indices.map { Int64($0 + 1) * 100 }
        #expect(CleanerPlanner.groups(segs, nextOffsets: next, maxBytes: 1_000) == [0..<3, 3..<5, 5..<6])
        let wide: [CleanerPlanner.Segment] = [.init(baseOffset: 0, size: 1, largestTimestamp: 0, firstBatchTimestamp: nil),
                                              .init(baseOffset: Int64(Int32.max), size: 1, largestTimestamp: 0, firstBatchTimestamp: nil)]
        #expect(CleanerPlanner.groups(wide, nextOffsets: [Int64(Int32.max), Int64(Int32.max) + 10], maxBytes: 1_000) == [0..<1, 1..<2])
    }

    @Test func offsetMapIsBoundedAndExact() {
        var map = OffsetMap(memory: 1_000 * OffsetMap.bytesPerEntry, loadFactor: 0.9)
        #expect(map.slots == 1_000 && map.capacity == 900)
        // Nothing is allocated until the map is used; then exactly the budget.
        #expect(map.memoryBytes == 0)
        var accepted = 0
        for i in 0..<900 where map.put(ByteBuffer(string: "key-\(i)"), offset: Int64(i)) { accepted += 1 }
        #expect(accepted == 900)
        #expect(map.memoryBytes == 24_000)
        #expect(map.isFull)
        let overflow = map.put(ByteBuffer(string: "one-more"), offset: 5_000)
        #expect(!overflow)
        // Known keys still update when full.
        let update = map.put(ByteBuffer(string: "key-3"), offset: 7_000)
        #expect(update)
        #expect(map.get(ByteBuffer(string: "key-3")) == 7_000)
        #expect(map.get(ByteBuffer(string: "key-899")) == 899)
        #expect(map.get(ByteBuffer(string: "absent")) == -1)
        #expect(map.latestOffset == 7_000)
        map.clear()
        #expect(map.count == 0 && map.get(ByteBuffer(string: "key-3")) == -1)
    }

    @Test func throttleKeepsTheAverageRate() {
        var throttle = CleanerThrottle(bytesPerSecond: 1_000_000, checkIntervalNanos: 100_000_000)
        let first = throttle.record(0, nowNanos: 0)
        #expect(first == 0)
        // 1 MB in 0.2 s at 1 MB/s: sleep the missing 0.8 s.
        let sleep = throttle.record(1_000_000, nowNanos: 200_000_000)
        #expect(sleep == 800_000_000)
        var unlimited = CleanerThrottle(bytesPerSecond: .greatestFiniteMagnitude)
        let none = unlimited.record(1 << 40, nowNanos: 1)
        #expect(none == 0)
    }
}
