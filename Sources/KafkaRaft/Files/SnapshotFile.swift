import KafkaProtocol
import NIOCore

/// A KRaft snapshot (`<endOffset>-<epoch>.checkpoint`) in Kafka's format: a control batch holding a
/// SnapshotHeader record, the snapshot's record batches, and a control batch holding a SnapshotFooter record.
/// Offsets inside the file count from 0 (the header), and every batch carries the snapshot's epoch as its
/// partition leader epoch (Kafka's `RecordsSnapshotWriter`).
public struct SnapshotFile: Hashable, Sendable {
    public var id: SnapshotId
    /// The SnapshotHeader's `LastContainedLogTimestamp`: the append time of the last record the snapshot covers.
    public var lastContainedLogTimestamp: Int64
    /// The timestamp of the header batch (when the writer was opened).
    public var headerTimestamp: Int64
    /// The timestamp of the footer batch (when the writer was closed).
    public var footerTimestamp: Int64
    /// The data batches, as stored (base offsets from 1).
    public var batches: [LogBatch]

    public enum FileError: Error, Equatable, CustomStringConvertible {
        case missingHeader
        case missingFooter
        case badName(String)

        public var description: String {
            switch self {
            case .missingHeader: return "snapshot does not start with a SnapshotHeader control batch"
            case .missingFooter: return "snapshot does not end with a SnapshotFooter control batch"
            case .badName(let n): return "'\(n)' is not <offset>-<epoch>.checkpoint"
            }
        }
    }

    public init(id: SnapshotId, lastContainedLogTimestamp: Int64, headerTimestamp: Int64, footerTimestamp: Int64,
                batches: [LogBatch]) {
        self.id = id
        self.lastContainedLogTimestamp = lastContainedLogTimestamp
        self.headerTimestamp = headerTimestamp
        self.footerTimestamp = footerTimestamp
        self.batches = batches
    }

    /// A snapshot holding `records` (values), at most `recordsPerBatch` to a batch, all stamped `timestamp`.
    public static func build(id: SnapshotId, records: [ByteBuffer], timestamp: Int64, lastContainedLogTimestamp: Int64,
                             recordsPerBatch: Int = 1024) throws -> SnapshotFile {
        var batches: [LogBatch] = []
        var offset: Int64 = 1
        var start = 0
        while start < records.count {
            let chunk = Array(records[start..<min(records.count, start + recordsPerBatch)])
            batches.append(try LogBatch.data(records: chunk, baseOffset: offset, epoch: id.epoch, timestamp: timestamp))
            offset += Int64(chunk.count)
            start += chunk.count
        }
        return SnapshotFile(id: id, lastContainedLogTimestamp: lastContainedLogTimestamp, headerTimestamp: timestamp,
                            footerTimestamp: timestamp, batches: batches)
    }

    /// The file's bytes.
    public func encode() throws -> ByteBuffer {
        var out = ByteBuffer()
        var header = SnapshotHeaderRecord()
        header.version = 0
        header.lastContainedLogTimestamp = lastContainedLogTimestamp
        var headerValue = ByteBuffer()
        try header.encode(into: &headerValue, version: 0)
        var headerBatch = try RecordBatchBuilder.controlBatch(type: .snapshotHeader, value: headerValue, timestamp: headerTimestamp,
                                                              baseOffset: 0, partitionLeaderEpoch: id.epoch)
        out.writeBuffer(&headerBatch)
        var next: Int64 = 1
        for batch in batches {
            var bytes = try RecordBatch(batch.bytes)
            bytes.setBaseOffset(next)
            next += batch.lastOffset - batch.baseOffset + 1
            var buffer = bytes.buffer
            out.writeBuffer(&buffer)
        }
        var footerValue = ByteBuffer()
        try SnapshotFooterRecord().encode(into: &footerValue, version: 0)
        var footerBatch = try RecordBatchBuilder.controlBatch(type: .snapshotFooter, value: footerValue, timestamp: footerTimestamp,
                                                              baseOffset: next, partitionLeaderEpoch: id.epoch)
        out.writeBuffer(&footerBatch)
        return out
    }

    /// Reads a snapshot file's bytes; `id` comes from the file name (`SnapshotFile.parseName`).
    public static func decode(_ bytes: ByteBuffer, id: SnapshotId) throws -> SnapshotFile {
        var all = try LogBatch.parse(bytes)
        guard let first = all.first, first.isControl, try Self.controlType(first) == .snapshotHeader else { throw FileError.missingHeader }
        guard all.count >= 2, let last = all.last, last.isControl, try Self.controlType(last) == .snapshotFooter else {
            throw FileError.missingFooter
        }
        var headerValue = try firstRecord(first).value ?? ByteBuffer()
        let header = try SnapshotHeaderRecord(from: &headerValue, version: 0)
        let headerTimestamp = try firstRecord(first).timestamp
        let footerTimestamp = try firstRecord(last).timestamp
        all.removeFirst()
        all.removeLast()
        return SnapshotFile(id: id, lastContainedLogTimestamp: header.lastContainedLogTimestamp, headerTimestamp: headerTimestamp,
                            footerTimestamp: footerTimestamp, batches: all)
    }

    /// The values of every data record, in order.
    public func recordValues() throws -> [ByteBuffer] {
        try batches.flatMap { try $0.recordValues() }
    }

    /// `00000000000000000629-0000000006.checkpoint` for (629, 6).
    public static func fileName(_ id: SnapshotId) -> String {
        func pad(_ n: Int64, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(id.endOffset, 20))-\(pad(Int64(id.epoch), 10)).checkpoint"
    }

    /// The id a snapshot file name stands for.
    public static func parseName(_ name: String) throws -> SnapshotId {
        let suffix = ".checkpoint"
        guard name.hasSuffix(suffix) else { throw FileError.badName(name) }
        let parts = name.dropLast(suffix.count).split(separator: "-")
        guard parts.count == 2, parts[0].count == 20, parts[1].count == 10,
              let offset = Int64(parts[0]), let epoch = Int32(parts[1]) else { throw FileError.badName(name) }
        return SnapshotId(endOffset: offset, epoch: epoch)
    }

    private static func firstRecord(_ batch: LogBatch) throws -> Record {
        var iterator = try RecordBatch(batch.bytes).records()
        guard let record = try iterator.next() else { throw FileError.missingHeader }
        return record
    }

    private static func controlType(_ batch: LogBatch) throws -> ControlRecordType {
        try ControlRecordType(key: try firstRecord(batch).key)
    }
}
