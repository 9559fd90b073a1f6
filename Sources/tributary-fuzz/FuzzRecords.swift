import KafkaProtocol
import NIOCore

/// The record paths of the fuzz target: batch splitting, header checks, CRC, the valid prefix a follower appends,
/// decompression (capped at 1 MiB) and record iteration for magic 2; the deep iterator (which opens compressed wrappers) for magic 0/1.
enum FuzzRecords {
    static let cap = 1 << 20

    static func batches(_ input: ByteBuffer) {
        // What a follower keeps of a fetch answer: only whole batches whose CRC holds, never past the input.
        let prefix = ValidBatchPrefix(input)
        precondition(prefix.length >= 0 && prefix.length <= input.readableBytes, "valid prefix \(prefix.length) of \(input.readableBytes) bytes")
        var kept = RecordBatchIterator(input.getSlice(at: input.readerIndex, length: prefix.length)!, maxBatchSize: Int.max)
        var covered = 0
        while let batch = try? kept.next() {
            precondition(batch.hasValidCRC, "a batch in the valid prefix fails its CRC")
            covered += batch.header.totalSize
        }
        precondition(covered == prefix.length, "the valid prefix covers \(covered) of \(prefix.length) bytes in batches")
        var iterator = RecordBatchIterator(input, maxBatchSize: cap)
        while let batch = try? iterator.next() {
            _ = batch.hasValidCRC
            guard var records = try? batch.records(maxDecompressedBytes: cap) else { continue }
            var rebuilt = RecordBatchBuilder(compression: .none, baseOffset: batch.header.baseOffset)
            while let record = try? records.next() {
                for header in record.headers { _ = header.key }
                _ = try? rebuilt.append(record)
            }
        }
    }

    static func legacy(_ input: ByteBuffer) {
        var iterator = LegacyDeepIterator(input, validateCRC: false, maxDecompressedBytes: cap)
        while let message = try? iterator.next() {
            _ = message.computeCRC()
        }
    }
}
