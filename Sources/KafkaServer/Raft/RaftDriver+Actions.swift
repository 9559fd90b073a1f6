import Foundation
import KafkaProtocol
import KafkaRaft
import NIOCore

/// Carrying out the core's actions, in order.
extension RaftDriver {
    func perform(_ actions: [RaftAction], appender: inout CheckedContinuation<Int64, any Error>?) async {
        for action in actions {
            guard stopReason == nil else { return }
            do {
                try await perform(action, appender: &appender)
            } catch {
                // Kafka halts the process on a metadata-log I/O error; this node stops.
                await finish(reason: "storage failure on \(action.name): \(error)", clean: false)
            }
        }
    }

    private func perform(_ action: RaftAction, appender: inout CheckedContinuation<Int64, any Error>?) async throws {
        switch action {
        case .send(let to, let envelope):
            if envelope.message.isRequest {
                transport.send(to: to, envelope)
            } else {
                let key = InboundKey(from: to, id: envelope.correlationId)
                parkedFetches.remove(key)
                inbound.removeValue(forKey: key)?.resume(returning: envelope.message)
            }
        case .persistElectionState(let state):
            try await disk.run { try $0.persist(state) }
        case .appendToLog(let batch):
            try await disk.run { try $0.append(batch) }
        case .truncateLog(let offset):
            try await disk.run { try $0.truncate(to: offset) }
        case .flushLog(let upTo):
            try await disk.run { try $0.flush(upTo: upTo) }
            followUps.append(.flushed(upTo: upTo))
        case .commit(let upTo):
            try apply(upTo: upTo)
        case .takeSnapshot(let id):
            guard applied == id.endOffset else {
                await finish(reason: "asked for \(id) with the state machine at \(applied)", clean: false)
                return
            }
            let wall = Int64(Date().timeIntervalSince1970 * 1000)
            let file = try SnapshotFile.build(id: id, records: stateMachine.snapshotRecords(), timestamp: wall, lastContainedLogTimestamp: wall)
            let snapshot = RaftSnapshot(id: id, bytes: try file.encode())
            try await disk.run { try $0.writeSnapshot(snapshot) }
            followUps.append(.snapshotWritten(id, snapshot.bytes))
        case .deleteLogBefore(let id):
            try await disk.run { try $0.deleteLog(before: id) }
        case .installSnapshot(let id, let bytes):
            let records = try SnapshotFile.decode(bytes, id: id).recordValues()
            try await disk.run { try $0.install(RaftSnapshot(id: id, bytes: bytes)) }
            try stateMachine.load(snapshot: id, records: records)
            committedContinuation.yield(.snapshot(id, records: records))
            applied = id.endOffset
            // Appends of this node's old epochs below the snapshot: whether they survived is not known here.
            failWaiters(below: applied) { .appendLost(epoch: $0.epoch, lastOffset: $0.lastOffset) }
            emit(.snapshotLoaded(id))
        case .becameLeader(let epoch):
            emit(.becameLeader(epoch: epoch))
        case .resignedLeadership(let epoch):
            emit(.resignedLeadership(epoch: epoch))
            answerParkedFetches()
        case .leaderChanged:
            // Reported from the node's state once per step (`reportLeaderChange`): a step may pass through several
            // leaders and epochs, and subscribers want where it ended.
            break
        case .appendAccepted(let receipt):
            if let c = appender {
                appender = nil
                let at = appendWaiters.firstIndex { $0.receipt.lastOffset > receipt.lastOffset } ?? appendWaiters.endIndex
                appendWaiters.insert(AppendWaiter(receipt: receipt, continuation: c), at: at)
            }
        case .appendRejected(let leader):
            appender?.resume(throwing: RaftDriverError.notLeader(leader))
            appender = nil
        case .schedule(let at):
            schedule(at: at)
        case .fatal(let reason):
            await finish(reason: "fatal: \(reason)", clean: false)
        }
    }

    /// Applies the committed records below `upTo` to the state machine (a batch the high watermark cuts is
    /// applied in part, the rest on the next commit) and answers the appends they hold: an append is committed
    /// if the batch at its last offset still has the epoch it was appended in.
    private func apply(upTo: Int64) throws {
        guard upTo > applied else { return }
        for batch in node.log.batches(from: applied, to: upTo) where batch.endOffset > applied {
            let from = max(applied, batch.baseOffset)
            let to = min(batch.endOffset, upTo)
            var published: [ByteBuffer] = []
            if !batch.isControl {
                let records = try batch.recordValues()
                let slice = records[Int(from - batch.baseOffset)..<min(records.count, Int(to - batch.baseOffset))]
                published = Array(slice)
                stateMachine.apply(baseOffset: from, records: published)
            }
            committedContinuation.yield(.batch(RaftCommittedBatch(baseOffset: from, endOffset: to, epoch: batch.epoch,
                                                                  isControl: batch.isControl, records: published)))
            applied = to
            while let first = appendWaiters.first, first.receipt.lastOffset < applied {
                appendWaiters.removeFirst()
                if first.receipt.lastOffset >= batch.baseOffset && batch.epoch == first.receipt.epoch {
                    first.continuation.resume(returning: first.receipt.lastOffset)
                } else {
                    first.continuation.resume(throwing: RaftDriverError.appendLost(epoch: first.receipt.epoch, lastOffset: first.receipt.lastOffset))
                }
            }
        }
        emit(.committed(upTo: applied))
    }

    /// A leader that steps down answers the fetches it parked with NOT_LEADER_OR_FOLLOWER, as Kafka completes its
    /// fetch purgatory, so that followers hear of it at once rather than after their request timeout (and the
    /// connection they came on is free for the next leader's BeginQuorumEpoch).
    private func answerParkedFetches() {
        let leader = node.leaderAndEpoch
        for key in parkedFetches.sorted(by: { $0.id < $1.id }) {
            let response = FetchResponseData(partitionError: .notLeaderOrFollower, highWatermark: -1,
                                             logStartOffset: node.log.startOffset, currentLeader: leader)
            inbound.removeValue(forKey: key)?.resume(returning: .fetchResponse(response))
        }
        parkedFetches = []
    }

    private func failWaiters(below offset: Int64, _ error: (AppendReceipt) -> RaftDriverError) {
        while let first = appendWaiters.first, first.receipt.lastOffset < offset {
            appendWaiters.removeFirst()
            first.continuation.resume(throwing: error(first.receipt))
        }
    }

    /// One timer for the core's `.schedule(at:)`, on the monotonic clock; a new time replaces the old one.
    private func schedule(at: Int64) {
        guard at != timerAt else { return }
        timer?.cancel()
        timerAt = at
        let deadline = started + .milliseconds(at)
        let input = self.input
        timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled { input.yield(.timer(at: at)) }
        }
    }
}

extension RaftAction {
    /// The action's name, for error messages.
    var name: String {
        switch self {
        case .send: return "send"
        case .persistElectionState: return "persistElectionState"
        case .appendToLog: return "appendToLog"
        case .truncateLog: return "truncateLog"
        case .flushLog: return "flushLog"
        case .commit: return "commit"
        case .takeSnapshot: return "takeSnapshot"
        case .deleteLogBefore: return "deleteLogBefore"
        case .installSnapshot: return "installSnapshot"
        case .becameLeader: return "becameLeader"
        case .resignedLeadership: return "resignedLeadership"
        case .leaderChanged: return "leaderChanged"
        case .appendAccepted: return "appendAccepted"
        case .appendRejected: return "appendRejected"
        case .schedule: return "schedule"
        case .fatal: return "fatal"
        }
    }
}
