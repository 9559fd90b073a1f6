import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaClient

@Suite struct ConsumerDecodeTests {
    let tp = TopicPartition(topic: "t", partition: 0)

    func batch(_ codec: CompressionCodec, base: Int64, count: Int) throws -> ByteBuffer {
        var b = RecordBatchBuilder(compression: codec, baseOffset: base)
        for i in 0..<count {
            try b.append(timestamp: 1000 + Int64(i), key: i % 2 == 0 ? ByteBuffer(string: "k\(i)") : nil,
                         value: ByteBuffer(string: "value-\(base + Int64(i))"),
                         headers: [RecordHeader(key: "h", value: ByteBuffer(string: "\(i)"))])
        }
        return try b.build()
    }

    @Test(arguments: CompressionCodec.allCases)
    func decodesEveryCodecFromThePosition(_ codec: CompressionCodec) throws {
        var bytes = try batch(codec, base: 10, count: 5)
        var second = try batch(codec, base: 15, count: 3)
        bytes.writeBuffer(&second)
        // Starting inside the first batch skips its earlier records, as a fetch from an offset mid-batch must.
        let (records, next) = try KafkaConsumer.decode(bytes, tp: tp, from: 12, broker: 1)
        #expect(records.map(\.offset) == [12, 13, 14, 15, 16, 17])
        #expect(records.map { String(buffer: $0.value!) } == (12...17).map { "value-\($0)" })
        #expect(records.first?.key.map { String(buffer: $0) } == "k2")
        #expect(records[1].key == nil)
        #expect(records.first?.headers.first?.key == "h")
        #expect(records.first?.timestamp == 1002)
        #expect(next == 18)
    }

    @Test func truncatedTailIsLeftForTheNextFetch() throws {
        var bytes = try batch(.none, base: 0, count: 2)
        let second = try batch(.none, base: 2, count: 2)
        bytes.writeImmutableBuffer(second.getSlice(at: second.readerIndex, length: second.readableBytes - 5)!)
        let (records, next) = try KafkaConsumer.decode(bytes, tp: tp, from: 0, broker: 1)
        #expect(records.map(\.offset) == [0, 1])
        #expect(next == 2)
    }

    @Test func controlBatchesAdvanceWithoutRecords() throws {
        var b = RecordBatchBuilder(baseOffset: 5, producerId: 9, producerEpoch: 0, isTransactional: true, isControl: true)
        var key = ByteBuffer()
        key.writeInteger(Int16(0))
        key.writeInteger(Int16(1))  // COMMIT
        var value = ByteBuffer()
        value.writeInteger(Int16(0))
        value.writeInteger(Int32(0))
        try b.append(timestamp: 1, key: key, value: value)
        let (records, next) = try KafkaConsumer.decode(try b.build(), tp: tp, from: 5, broker: 1)
        #expect(records.isEmpty)
        #expect(next == 6)
    }
}
