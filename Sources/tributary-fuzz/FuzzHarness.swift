import KafkaCoordinator
import KafkaProtocol
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// What the fuzzer drives: every request and response decoder of every API and version, the frame splitter, the
/// record batch and legacy message set readers, the `__consumer_offsets` and `__transaction_state` record readers,
/// the KIP-848 subscription regex compiler and matcher, and every decompressor. A decoder may throw on bad input; it may
/// never trap, hang or allocate without bound. Whatever decodes must re-encode, decode and re-encode to the same bytes.
enum FuzzHarness {
    static let apis = ApiKey.allCases

    static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 3 else { return }
        let mode = input[0] % 8
        let a = Int(input[1]), b = Int(input[2])
        let body = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[3...]))
        switch mode {
        case 0, 1:
            let api = apis[a % apis.count]
            let versions = api.versions
            let version = versions.lowerBound + Int16(b % versions.count)
            let type: any KafkaSchema.Type = mode == 0 ? api.requestType : api.responseType
            checkSchema(type, body, version: version)
        case 2:
            // A whole request frame as a broker receives it: header chosen by its own key and version.
            var buf = body
            if let frame = try? KafkaFrameDecoder.nextFrame(from: &buf, maximumFrameSize: 1 << 20),
               let request = try? RequestFrame(parsing: frame), request.isSupported {
                _ = try? request.decodeBody()
            }
        case 3:
            FuzzRecords.batches(body)
        case 4:
            FuzzRecords.legacy(body)
        case 5:
            coordinatorRecords(body, split: a, tombstone: b % 4 == 0)
        case 6:
            // A KIP-848 subscription regex (untrusted, from ConsumerGroupHeartbeat) and a name to match.
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            let cut = text.index(text.startIndex, offsetBy: min(a, text.count))
            if let regex = try? TopicRegex(String(text[..<cut])) { _ = regex.wholeMatch(String(text[cut...])) }
        default:
            let codec = CompressionCodec.allCases[a % CompressionCodec.allCases.count]
            _ = try? codec.decompress(body, maxOutputBytes: 1 << 20)
        }
    }

    static func checkSchema<T: KafkaSchema>(_ type: T.Type, _ input: ByteBuffer, version: Int16) {
        var reader = input
        guard let value = try? T(from: &reader, version: version) else { return }
        var encoded = ByteBuffer()
        do {
            try value.encode(into: &encoded, version: version)
        } catch {
            return  // e.g. a null where the version does not allow one: refused, not a crash
        }
        // Compared as bytes: a float64 field may hold NaN, which is not equal to itself.
        var again = encoded
        var reencoded = ByteBuffer()
        guard let second = try? T(from: &again, version: version), (try? second.encode(into: &reencoded, version: version)) != nil,
              reencoded == encoded
        else {
            fatalError("\(T.schemaName) v\(version): encode(decode(encode(x))) != encode(x)")
        }
    }

    /// A coordinator record from its key and value bytes (`split` bytes of key): what decodes must survive
    /// re-encoding unchanged, or be refused by the encoder.
    static func coordinatorRecords(_ body: ByteBuffer, split: Int, tombstone: Bool) {
        let keyLength = min(split, body.readableBytes)
        let key = body.getSlice(at: body.readerIndex, length: keyLength)!
        let value = tombstone ? nil : body.getSlice(at: body.readerIndex + keyLength, length: body.readableBytes - keyLength)
        if let record = try? CoordinatorRecord(key: key, value: value),
           let k = try? record.encodeKey(), let v = try? record.encodeValue() {
            guard let again = try? CoordinatorRecord(key: k, value: v), again == record else {
                fatalError("CoordinatorRecord: decode(encode(x)) != x for \(record)")
            }
        }
        if let record = try? TransactionLogRecord(key: key, value: value),
           let k = try? record.encodeKey(), let v = try? record.encodeValue() {
            guard let again = try? TransactionLogRecord(key: k, value: v), again == record else {
                fatalError("TransactionLogRecord: decode(encode(x)) != x for \(record)")
            }
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
