import KafkaProtocol
import KafkaRaft
import NIOCore

/// The replicated state machine of the simulation (like Kafka's `ReplicatedCounter`): it folds every committed
/// entry, data or control, into a running digest, and snapshots that digest.
struct CounterStateMachine {
    /// The offset up to which entries are applied.
    var applied: Int64 = 0
    var digest: UInt64 = 0

    static func fold(_ digest: UInt64, _ entry: CommittedEntry) -> UInt64 {
        (digest &* 1_099_511_628_211) ^ (UInt64(bitPattern: entry.value) &+ UInt64(UInt32(bitPattern: entry.epoch)) << 40)
    }

    /// The snapshot file for the current state.
    func snapshotFile(id: SnapshotId, timestamp: Int64) throws -> ByteBuffer {
        var record = ByteBuffer()
        record.writeInteger(applied, endianness: .big)
        record.writeInteger(digest, endianness: .big)
        return try SnapshotFile.build(id: id, records: [record], timestamp: timestamp, lastContainedLogTimestamp: timestamp).encode()
    }

    /// The state a snapshot file holds.
    static func load(_ bytes: ByteBuffer, id: SnapshotId) throws -> CounterStateMachine {
        let file = try SnapshotFile.decode(bytes, id: id)
        guard let record = try file.recordValues().first, let applied: Int64 = record.getInteger(at: record.readerIndex),
              let digest: UInt64 = record.getInteger(at: record.readerIndex + 8) else {
            throw SimulationFailure(message: "snapshot \(id) holds no state record")
        }
        return CounterStateMachine(applied: applied, digest: digest)
    }
}

/// One committed log entry as the checker records it: a data record's value, or -1 for a control record.
struct CommittedEntry: Equatable {
    var epoch: Int32
    var value: Int64

    /// The entries of a batch, one per offset.
    static func entries(of batch: LogBatch) throws -> [CommittedEntry] {
        if batch.isControl {
            return Array(repeating: CommittedEntry(epoch: batch.epoch, value: -1), count: Int(batch.lastOffset - batch.baseOffset + 1))
        }
        return try batch.recordValues().map { value in
            CommittedEntry(epoch: batch.epoch, value: value.getInteger(at: value.readerIndex) ?? -2)
        }
    }
}

/// A broken invariant: the message names the seed, time and rule.
public struct SimulationFailure: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
