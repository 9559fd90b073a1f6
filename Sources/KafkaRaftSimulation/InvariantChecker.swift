import KafkaRaft

/// The rules checked after every step, after Kafka's `RaftEventSimulationTest`:
/// - SingleLeader: at most one leader per epoch (from running leaders and from every persisted `quorum-state`).
/// - MonotonicEpoch: a node's persisted epoch never decreases, across restarts too, and a running node's epoch
///   is the persisted one.
/// - MonotonicHighWatermark: the high watermark of the leader with the highest epoch never decreases, across
///   leader changes; and a node's own
///   high watermark never decreases while it runs (after a restart it starts unknown and is re-learned; what a
///   node can prove at once is its latest snapshot, which the state machine loads).
/// - MajorityReachedHighWatermark: a majority of voters hold, durably, the log up to the leaders' high watermark.
/// - ConsistentCommittedData: every entry a node applies below its high watermark equals the entry first
///   committed at that offset (so committed entries are never lost or changed and committed prefixes agree);
///   every snapshot's state equals the state of the committed prefix it covers.
struct InvariantChecker {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    let voters: Set<Int32>
    var leaders: [Int32: Int32] = [:]
    var persistedEpoch: [Int32: Int32] = [:]
    var nodeHighWatermark: [Int32: Int64] = [:]
    var maxLeaderHighWatermark: Int64 = 0
    var maxLeaderHighWatermarkEpoch: Int32 = 0
    var maxEpoch: Int32 = 0
    /// The committed log as first applied anywhere, and the digest of every prefix of it.
    var committed: [CommittedEntry] = []
    var digests: [UInt64] = [0]

    init(voters: Set<Int32>) { self.voters = voters }

    mutating func nodeStarted(_ id: Int32) { nodeHighWatermark[id] = nil }

    mutating func check(_ processes: [Int32: RaftSimulation.Process]) throws {
        var durableEnds: [Int64] = []
        var topLeader: (id: Int32, epoch: Int32, hw: Int64?)? = nil
        for (id, process) in processes.sorted(by: { $0.key < $1.key }) {
            let election = process.storage.election ?? .initial
            if let last = persistedEpoch[id], election.epoch < last {
                throw Failure(message: "node \(id) epoch went back from \(last) to \(election.epoch)")
            }
            persistedEpoch[id] = election.epoch
            maxEpoch = max(maxEpoch, election.epoch)
            if let leader = election.leaderId { try noteLeader(leader, epoch: election.epoch) }
            if voters.contains(id) { durableEnds.append(max(process.storage.durableEnd, process.storage.snapshot?.id.endOffset ?? 0)) }
            guard let node = process.node else { continue }
            if node.epoch != election.epoch {
                throw Failure(message: "node \(id) runs in epoch \(node.epoch) but persisted \(election.epoch)")
            }
            if node.isLeader { try noteLeader(id, epoch: node.epoch) }
            if let hw = node.highWatermark {
                if let last = nodeHighWatermark[id], hw < last {
                    throw Failure(message: "node \(id) high watermark went back from \(last) to \(hw)")
                }
                nodeHighWatermark[id] = hw
            }
            if node.isLeader, node.epoch > (topLeader?.epoch ?? -1) { topLeader = (id, node.epoch, node.leaderHighWatermark) }
        }
        // Kafka's MonotonicHighWatermark looks at the running leader with the highest epoch. A deposed leader that
        // has not heard of a newer epoch yet may lag behind it (and be the highest running one once the newer
        // leader crashed), so a leader is compared only if its epoch is at least that of the record.
        if let top = topLeader, let hw = top.hw, top.epoch >= maxLeaderHighWatermarkEpoch {
            maxLeaderHighWatermarkEpoch = top.epoch
            if hw < maxLeaderHighWatermark {
                throw Failure(message: "leader \(top.id) of epoch \(top.epoch): high watermark \(hw) is below the earlier \(maxLeaderHighWatermark)")
            }
            maxLeaderHighWatermark = hw
        }
        let reached = durableEnds.filter { $0 >= maxLeaderHighWatermark }.count
        if reached < voters.count / 2 + 1 {
            throw Failure(message: "only \(reached) voters hold the log up to the high watermark \(maxLeaderHighWatermark) durably")
        }
    }

    mutating func noteLeader(_ leader: Int32, epoch: Int32) throws {
        if let known = leaders[epoch], known != leader {
            throw Failure(message: "two leaders in epoch \(epoch): \(known) and \(leader)")
        }
        leaders[epoch] = leader
    }

    mutating func recordCommitted(node: Int32, offset: Int64, _ entry: CommittedEntry) throws {
        let i = Int(offset)
        if i < committed.count {
            guard committed[i] == entry else {
                throw Failure(message: "node \(node) committed \(entry) at offset \(offset), where \(committed[i]) was committed")
            }
        } else if i == committed.count {
            committed.append(entry)
            digests.append(CounterStateMachine.fold(digests[i], entry))
        } else {
            throw Failure(message: "node \(node) committed offset \(offset) beyond the known committed end \(committed.count)")
        }
    }

    func checkSnapshot(node: Int32, _ id: SnapshotId, machine: CounterStateMachine) throws {
        guard machine.applied == id.endOffset, Int(id.endOffset) < digests.count, digests[Int(id.endOffset)] == machine.digest,
              id.endOffset == 0 || committed[Int(id.endOffset) - 1].epoch == id.epoch else {
            throw Failure(message: "node \(node): \(id) does not hold the committed state at \(id.endOffset)")
        }
    }

    /// The first committed offset holding a value of at least `value`.
    func firstCommittedOffset(ofValueAtLeast value: Int64) -> Int64? {
        committed.lastIndex { $0.value >= value }.map { last in
            var i = last
            while i > 0 && committed[i - 1].value >= value { i -= 1 }
            return Int64(i)
        }
    }
}
