import KafkaProtocol
import NIOCore

/// The Produce request figures of `tributary bench protocol`: a 1 MiB Produce v9 request (64 uncompressed batches
/// of 16 KiB, 100-byte values) decoded and encoded, and a broker-style pass that reads only the batch headers.
func runProduceBenchmark(seconds: Double) -> [String] {
    var request = ProduceRequest()
    request.acks = -1
    request.timeoutMs = 30_000
    var records = ByteBuffer()
    var recordCount = 0
    while records.readableBytes < (1 << 20) - 16_384 {
        var builder = RecordBatchBuilder(initialCapacity: 17_000)
        while builder.uncompressedRecordsSize < 16_000 {
            let value = ByteBuffer(repeating: UInt8(recordCount & 0x7F), count: 100)
            try! builder.append(timestamp: 1_700_000_000_000 + Int64(recordCount), key: nil, value: value)
            recordCount += 1
        }
        var batch = try! builder.build()
        records.writeBuffer(&batch)
    }
    var partition = ProduceRequest.PartitionProduceData()
    partition.index = 0
    partition.records = records
    var topic = ProduceRequest.TopicProduceData()
    topic.name = "bench"
    topic.partitionData = [partition]
    request.topicData = [topic]

    var frame = ByteBuffer()
    try! KafkaFrame.encodeRequest(request, version: 9, correlationId: 1, clientId: "bench", into: &frame)
    let body = frame.getSlice(at: 4, length: frame.readableBytes - 4)!
    let mib = Double(frame.readableBytes) / 1_048_576

    var lines: [String] = []
    lines.append("produce request: \(fmt(mib, 2)) MiB, \(records.readableBytes / 16_384) batches, \(recordCount) records")

    let decodeRate = measure(seconds: seconds) {
        let parsed = try! RequestFrame(parsing: body)
        let decoded = try! parsed.decodeBody()
        precondition(decoded.trailing.readableBytes == 0)
    }
    lines.append("  decode (header + body, records kept as a slice): \(fmt(decodeRate, 0)) req/s  \(fmt(decodeRate * mib / 1024, 2)) GiB/s")

    var headersSeen = 0
    let headerRate = measure(seconds: seconds) {
        let parsed = try! RequestFrame(parsing: body)
        let message = try! parsed.decodeBody().message as! ProduceRequest
        for t in message.topicData {
            for p in t.partitionData {
                var it = RecordBatchIterator(p.records!)
                while let batch = try! it.next() { headersSeen &+= Int(batch.header.recordsCount) }
            }
        }
    }
    lines.append("  decode + walk batch headers (bodies untouched): \(fmt(headerRate, 0)) req/s  \(fmt(headerRate * mib / 1024, 2)) GiB/s")

    let crcRate = measure(seconds: seconds) {
        let parsed = try! RequestFrame(parsing: body)
        let message = try! parsed.decodeBody().message as! ProduceRequest
        var it = RecordBatchIterator(message.topicData[0].partitionData[0].records!)
        while let batch = try! it.next() { precondition(batch.hasValidCRC) }
    }
    lines.append("  decode + CRC-32C of every batch: \(fmt(crcRate, 0)) req/s  \(fmt(crcRate * mib / 1024, 2)) GiB/s")

    var out = ByteBuffer()
    out.reserveCapacity(frame.readableBytes + 64)
    let encodeRate = measure(seconds: seconds) {
        out.clear()
        try! KafkaFrame.encodeRequest(request, version: 9, correlationId: 1, clientId: "bench", into: &out)
    }
    lines.append("  encode: \(fmt(encodeRate, 0)) req/s  \(fmt(encodeRate * mib / 1024, 2)) GiB/s")
    if headersSeen == 0 { lines.append("  (no batches seen)") }
    return lines
}
