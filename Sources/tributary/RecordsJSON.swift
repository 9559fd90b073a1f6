import KafkaProtocol
import NIOCore

/// Record batches as JSON for `tributary protocol decode` (and `dump-log`): every batch header field, and every
/// record with key, value and headers — text when the bytes are valid UTF-8, else base64 under `keyBase64` /
/// `valueBase64`. A region that cannot be parsed shows the error and the raw bytes instead.
enum RecordsJSON {
    static func render(_ bytes: ByteBuffer) -> JSONValue {
        guard bytes.readableBytes > 0 else { return .array([]) }
        do {
            if let magic = RecordBatchIterator.detectMagic(bytes), magic < 2 {
                return try LegacyJSON.render(bytes)
            }
            var iterator = RecordBatchIterator(bytes)
            var batches: [JSONValue] = []
            while let batch = try iterator.next() { batches.append(batchJSON(batch)) }
            if let tail = iterator.incompleteTail {
                batches.append(.object([("incompleteTrailingBytes", .number("\(tail.readableBytes)"))]))
            }
            return .array(batches)
        } catch {
            return .object([("error", .string("\(error)")), ("bytes", .string(MessageJSON.bytesText(bytes)))])
        }
    }

    static func batchJSON(_ batch: RecordBatch) -> JSONValue {
        let h = batch.header
        var members: [(String, JSONValue)] = [
            ("baseOffset", num(h.baseOffset)), ("lastOffset", num(h.lastOffset)), ("batchLength", num(h.batchLength)),
            ("partitionLeaderEpoch", num(h.partitionLeaderEpoch)), ("magic", num(h.magic)),
            ("crc", num(h.crc)), ("crcValid", .bool(batch.hasValidCRC)),
            ("compression", .string(h.compression.map { "\($0)" } ?? "unknown(\(h.attributes.compressionID))")),
            ("timestampType", .string(h.timestampType == .logAppendTime ? "LogAppendTime" : "CreateTime")),
            ("isTransactional", .bool(h.isTransactional)), ("isControl", .bool(h.isControl)),
            ("baseTimestamp", num(h.baseTimestamp)), ("maxTimestamp", num(h.maxTimestamp)),
            ("producerId", num(h.producerId)), ("producerEpoch", num(h.producerEpoch)),
            ("baseSequence", num(h.baseSequence)), ("recordsCount", num(h.recordsCount)),
        ]
        do {
            var records: [JSONValue] = []
            try batch.forEachRecord { r in
                var m: [(String, JSONValue)] = [("offset", num(r.offset)), ("timestamp", num(r.timestamp))]
                m.append(contentsOf: bytesMembers("key", r.key))
                m.append(contentsOf: bytesMembers("value", r.value))
                var headers: [JSONValue] = []
                for header in r.headers {
                    var hm: [(String, JSONValue)] = [("key", .string(header.key))]
                    hm.append(contentsOf: bytesMembers("value", header.value))
                    headers.append(.object(hm))
                }
                m.append(("headers", .array(headers)))
                records.append(.object(m))
            }
            members.append(("records", .array(records)))
        } catch {
            members.append(("recordsError", .string("\(error)")))
        }
        return .object(members)
    }

    static func num<T: BinaryInteger>(_ v: T) -> JSONValue { .number("\(v)") }

    /// `name: text` for valid UTF-8, `nameBase64: ...` otherwise, `name: null` for null.
    static func bytesMembers(_ name: String, _ bytes: ByteBuffer?) -> [(String, JSONValue)] {
        guard let bytes else { return [(name, .null)] }
        let view = bytes.readableBytesView
        var utf8 = UTF8()
        var it = view.makeIterator()
        loop: while true {
            switch utf8.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: return [(name + "Base64", .string(MessageJSON.bytesText(bytes)))]
            }
        }
        return [(name, .string(String(decoding: view, as: UTF8.self)))]
    }
}
