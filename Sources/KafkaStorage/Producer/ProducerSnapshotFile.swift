import KafkaProtocol
import NIOCore

/// The producer-state snapshot file `<20-digit offset>.snapshot`, in Kafka's format: `int16 version (1)`, then
/// the `ProducerSnapshot` schema (whose first field is the `uint32` CRC-32C; the version is not a schema field),
/// the CRC covering every byte after itself (the entry count and the entries).
///
/// A snapshot stores only the last batch of each producer (its last sequence and offset, and the offset delta
/// of that batch); reading it back gives entries with one remembered batch, as Kafka's do.
public enum ProducerSnapshotFile {
    /// The version Kafka writes and reads.
    public static let version: Int16 = 1
    /// Where the CRC is, and where the bytes it covers start.
    static let crcPosition = 2
    static let coveredStart = 6

    /// Encodes the table's producers (those with a batch or an open transaction), sorted by producer id.
    public static func encode(_ table: ProducerStateTable) throws -> ByteBuffer {
        var snapshot = ProducerSnapshot()
        for entry in table.producers.values.sorted(by: { $0.producerId < $1.producerId }) {
            var record = ProducerSnapshot.ProducerEntry()
            record.producerId = entry.producerId
            record.epoch = entry.producerEpoch
            let last = entry.batches.last
            record.lastSequence = last?.lastSequence ?? -1
            record.lastOffset = last?.lastOffset ?? -1
            record.offsetDelta = last.map { Int32(truncatingIfNeeded: $0.lastOffset - $0.firstOffset) } ?? 0
            record.timestamp = entry.lastTimestamp
            record.coordinatorEpoch = entry.coordinatorEpoch
            record.currentTxnFirstOffset = entry.currentTransactionFirstOffset ?? -1
            snapshot.producerEntries.append(record)
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(version, endianness: .big)
        try snapshot.encode(into: &buffer, version: version)
        let crc = CRC32C.checksum(buffer, at: buffer.readerIndex + coveredStart, length: buffer.readableBytes - coveredStart)!
        buffer.setInteger(crc, at: buffer.readerIndex + crcPosition, endianness: .big)
        return buffer
    }

    /// Decodes a snapshot taken at `offset`; `.corrupt` on a wrong version, a CRC mismatch or bad framing.
    public static func decode(_ bytes: ByteBuffer, offset: Int64) throws -> ProducerStateTable {
        var buffer = bytes
        guard let version = buffer.readInteger(endianness: .big, as: Int16.self), version == Self.version else {
            throw StorageError.corrupt("producer snapshot version")
        }
        guard buffer.readableBytes >= 4,
              let computed = CRC32C.checksum(bytes, at: bytes.readerIndex + coveredStart, length: bytes.readableBytes - coveredStart)
        else { throw StorageError.corrupt("producer snapshot of \(bytes.readableBytes) bytes") }
        let snapshot: ProducerSnapshot
        do { snapshot = try ProducerSnapshot(from: &buffer, version: version) } catch {
            throw StorageError.corrupt("producer snapshot: \(error)")
        }
        guard snapshot.crc == computed else { throw StorageError.corrupt("producer snapshot CRC") }
        guard buffer.readableBytes == 0 else { throw StorageError.corrupt("producer snapshot has trailing bytes") }
        var table = ProducerStateTable()
        table.mapEndOffset = offset
        for record in snapshot.producerEntries {
            var entry = ProducerStateEntry(producerId: record.producerId, producerEpoch: record.epoch)
            if record.lastOffset >= 0 {
                entry.batches = [ProducerBatchMetadata(
                    firstSequence: decrementSequence(record.lastSequence, by: record.offsetDelta),
                    lastSequence: record.lastSequence,
                    firstOffset: record.lastOffset - Int64(record.offsetDelta), lastOffset: record.lastOffset,
                    timestamp: record.timestamp)]
            }
            entry.lastTimestamp = record.timestamp
            entry.coordinatorEpoch = record.coordinatorEpoch
            entry.currentTransactionFirstOffset = record.currentTxnFirstOffset >= 0 ? record.currentTxnFirstOffset : nil
            table.restore(entry)
        }
        return table
    }

    /// Kafka's sequence arithmetic backwards: below 0 wraps to Int32.max.
    static func decrementSequence(_ sequence: Int32, by decrement: Int32) -> Int32 {
        if decrement > 0 && sequence < decrement { return Int32.max - (decrement - sequence) + 1 }
        return sequence &- decrement
    }
}
