import KafkaProtocol
import NIOCore

/// Turns stored magic-2 batches into the message sets old Fetch versions carry: magic 0 for v0-1, magic 1 for
/// v2-3 (what Kafka 3.x's down-conversion produced). Records keep their absolute offsets, keys, values and (magic 1)
/// timestamps; headers, producer ids and control records cannot be expressed and are dropped, as Kafka drops them.
/// Output is uncompressed (Kafka kept each batch's codec; uncompressed sets are read by every client). A batch cut
/// short at the end of the region is left out, as old clients would otherwise stop at it.
enum DownConverter {
    static func convert(_ records: ByteBuffer, fetchVersion: Int16) -> ByteBuffer {
        let magic: Int8 = fetchVersion <= 1 ? 0 : 1
        guard let builderTemplate = try? LegacyMessageSetBuilder(magic: magic) else { return ByteBuffer() }
        var builder = builderTemplate
        var it = RecordBatchIterator(records)
        do {
            while let batch = try it.next() {
                let h = batch.header
                if h.isControl { continue }
                try batch.forEachRecord { r in
                    try builder.append(offset: r.offset, timestamp: magic == 0 ? -1 : r.timestamp, key: r.key, value: r.value,
                                       attributes: magic == 1 && h.timestampType == .logAppendTime ? 0x08 : 0)
                }
            }
        } catch {
            // A batch that does not decode ends the conversion; what was converted so far is still served.
        }
        return (try? builder.build()) ?? ByteBuffer()
    }
}
