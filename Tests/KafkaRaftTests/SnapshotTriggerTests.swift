import KafkaRaft
import NIOCore
import Testing

/// When the core asks for a snapshot: after `metadata.log.max.record.bytes.between.snapshots` committed bytes, or
/// once `metadata.log.max.snapshot.interval.ms` has passed with records committed since the last one (KIP-876).
@Suite struct SnapshotTriggerTests {
    /// Steps a node and feeds back the flushes it asks for, as a driver does.
    static func run(_ node: inout RaftNode, _ event: RaftEvent, now: Int64) -> [RaftAction] {
        var all: [RaftAction] = []
        var queue = [event]
        while !queue.isEmpty {
            let actions = node.handle(queue.removeFirst(), now: now)
            all += actions
            for case .flushLog(let upTo) in actions { queue.append(.flushed(upTo: upTo)) }
        }
        return all
    }

    /// A single voter that appends and commits one record at `at` (the batch closes after the linger).
    static func appendAndCommit(_ node: inout RaftNode, at: Int64) -> [RaftAction] {
        run(&node, .append([Harness.value(at)]), now: at) + run(&node, .tick, now: at + 100)
    }

    static func snapshots(_ actions: [RaftAction]) -> [SnapshotId] {
        actions.compactMap { if case .takeSnapshot(let id) = $0 { return id } else { return nil } }
    }

    static func leader(intervalMs: Int64, maxBytes: Int = .max) -> RaftNode {
        var config = Harness.config(1, voters: [1])
        config.maxSnapshotIntervalMs = intervalMs
        config.maxBytesBetweenSnapshots = maxBytes
        var node = RaftNode(config: config, election: nil, log: RaftLog(), now: 0, seed: 1)
        _ = run(&node, .tick, now: 0)
        return node
    }

    @Test func theIntervalTriggersASnapshotOnceRecordsWereCommitted() {
        var node = Self.leader(intervalMs: 10_000)
        #expect(node.roleName == .leader)
        #expect(Self.snapshots(Self.appendAndCommit(&node, at: 5_000)).isEmpty)
        let due = Self.appendAndCommit(&node, at: 12_000)
        #expect(Self.snapshots(due) == [SnapshotId(endOffset: 3, epoch: 1)])
        _ = Self.run(&node, .snapshotWritten(SnapshotId(endOffset: 3, epoch: 1), ByteBuffer()), now: 12_200)
        // The clock restarts at the snapshot: the next commit within the interval asks for none.
        #expect(Self.snapshots(Self.appendAndCommit(&node, at: 15_000)).isEmpty)
        #expect(Self.snapshots(Self.appendAndCommit(&node, at: 23_000)).count == 1)
    }

    @Test func intervalZeroTurnsTheTimeTriggerOff() {
        var node = Self.leader(intervalMs: 0)
        for at in stride(from: Int64(5_000), through: 50_000, by: 5_000) {
            #expect(Self.snapshots(Self.appendAndCommit(&node, at: at)).isEmpty)
        }
    }

    @Test func committedBytesTriggerASnapshotWhateverTheTime() {
        var node = Self.leader(intervalMs: 0, maxBytes: 150)
        var taken: [SnapshotId] = []
        for at in stride(from: Int64(100), through: 1_000, by: 100) { taken += Self.snapshots(Self.appendAndCommit(&node, at: at)) }
        #expect(!taken.isEmpty)
    }
}
