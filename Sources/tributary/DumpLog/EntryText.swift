import KafkaProtocol
import NIOCore

/// The text lines of kafka-dump-log.sh for batches and records, field for field, so that output can be compared
/// with Kafka's and scripts written against it keep working.
enum EntryText {
    static func timestampTypeName(_ type: TimestampType) -> String {
        switch type {
        case .noTimestampType: return "NoTimestampType"
        case .createTime: return "CreateTime"
        case .logAppendTime: return "LogAppendTime"
        }
    }

    /// Kafka prints the codec's lower-case name.
    static func codecName(_ codec: CompressionCodec?, id: Int8) -> String {
        guard let codec else { return "unknown(\(id))" }
        switch codec {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    static func batchLine(_ batch: RecordBatch, position: Int64) -> String {
        let h = batch.header
        // Kafka prints a Java OptionalLong here.
        let horizon = h.deleteHorizon.map { "OptionalLong[\($0)]" } ?? "OptionalLong.empty"
        return "baseOffset: \(h.baseOffset) lastOffset: \(h.lastOffset) count: \(h.recordsCount) "
            + "baseSequence: \(h.baseSequence) lastSequence: \(h.lastSequence) producerId: \(h.producerId) "
            + "producerEpoch: \(h.producerEpoch) partitionLeaderEpoch: \(h.partitionLeaderEpoch) "
            + "isTransactional: \(h.isTransactional) isControl: \(h.isControl) deleteHorizonMs: \(horizon) "
            + "position: \(position) \(timestampTypeName(h.timestampType)): \(h.maxTimestamp) size: \(batch.sizeInBytes) "
            + "magic: \(h.magic) compresscodec: \(codecName(h.compression, id: h.attributes.compressionID)) "
            + "crc: \(h.crc) isvalid: \(batch.hasValidCRC)"
    }

    static func legacyLine(_ m: LegacyMessage, position: Int64) -> String {
        "offset: \(m.offset) position: \(position) \(timestampTypeName(legacyTimestampType(m))): \(legacyTimestamp(m)) "
            + "size: \(m.sizeInBytes) magic: \(m.magic) compresscodec: \(codecName(m.compression, id: m.attributes & 7)) "
            + "crc: \(m.crc) isvalid: \(m.computeCRC() == m.crc)"
    }

    /// Magic 0 has no timestamp: Kafka shows NoTimestampType and -1.
    static func legacyTimestampType(_ m: LegacyMessage) -> TimestampType { m.magic == 0 ? .noTimestampType : m.timestampType }
    static func legacyTimestamp(_ m: LegacyMessage) -> Int64 { m.magic == 0 ? -1 : m.timestamp }

    /// What to print after a record's metadata.
    struct Content {
        var printData: Bool
        var skipMetadata: Bool
        var clusterMetadata: Bool
    }

    static func recordLine(_ r: Record, batch: RecordBatchHeader, content: Content) -> String {
        var line = "|"
        if !content.skipMetadata {
            let sequence = batch.baseSequence < 0 ? -1 : RecordBatchHeader.incrementSequence(batch.baseSequence, by: r.offsetDelta)
            let headerKeys = r.headers.map(\.key).joined(separator: ",")
            line += " offset: \(r.offset) \(timestampTypeName(batch.timestampType)): \(r.timestamp) "
                + "keySize: \(size(r.key)) valueSize: \(size(r.value)) sequence: \(sequence) headerKeys: [\(headerKeys)]"
            if batch.isControl { line += " " + ControlText.describe(r) }
        }
        if content.printData && !batch.isControl {
            line += dataText(key: r.key, value: r.value, clusterMetadata: content.clusterMetadata)
        }
        return line
    }

    static func legacyRecordLine(_ m: LegacyMessage, wrapper: LegacyMessage, content: Content) -> String {
        var line = "|"
        if !content.skipMetadata {
            line += " offset: \(m.offset) \(timestampTypeName(legacyTimestampType(wrapper))): \(legacyTimestamp(m)) "
                + "keySize: \(size(m.key)) valueSize: \(size(m.value)) isValid: \(m.computeCRC() == m.crc) crc: \(m.crc)"
        }
        if content.printData { line += dataText(key: m.key, value: m.value, clusterMetadata: false) }
        return line
    }

    /// ` key: K payload: V`, decoding as UTF-8 (Kafka's default StringDecoder); null parts are left out.
    static func dataText(key: ByteBuffer?, value: ByteBuffer?, clusterMetadata: Bool) -> String {
        var text = ""
        if let key, !clusterMetadata { text += " key: " + String(decoding: key.readableBytesView, as: UTF8.self) }
        if let value {
            let payload = clusterMetadata
                ? MetadataRecordText.describe(value)
                : String(decoding: value.readableBytesView, as: UTF8.self)
            text += " payload: " + payload
        }
        return text
    }

    static func size(_ b: ByteBuffer?) -> Int { b?.readableBytes ?? -1 }
}
