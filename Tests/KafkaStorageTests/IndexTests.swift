import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct IndexTests {
    @Test func offsetIndexLookupAndTruncate() throws {
        var index = OffsetIndex(baseOffset: 100)
        for i in 0 ..< 10 { index.append(offset: 100 + Int64(i) * 10, position: Int64(i) * 4096) }
        index.append(offset: 150, position: 0)  // not increasing: ignored
        #expect(index.count == 10)
        #expect(index.lookup(99) == OffsetPosition(offset: 100, position: 0))
        #expect(index.lookup(135) == OffsetPosition(offset: 130, position: 3 * 4096))
        #expect(index.lookup(1_000) == OffsetPosition(offset: 190, position: 9 * 4096))
        let reread = try OffsetIndex(baseOffset: 100, bytes: index.bytes)
        #expect(reread.count == 10 && reread.last == index.last)
        index.truncate(toOffset: 150)
        #expect(index.last?.offset == 140)
        #expect(index.isFull(maxBytes: 44) && !index.isFull(maxBytes: 48))
    }

    @Test func offsetIndexSanityCheck() throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(Int32(5)); bytes.writeInteger(Int32(100))
        bytes.writeInteger(Int32(3)); bytes.writeInteger(Int32(200))
        #expect(throws: StorageError.self) { try OffsetIndex(baseOffset: 0, bytes: bytes) }
        #expect(throws: StorageError.self) { try OffsetIndex(baseOffset: 0, bytes: ByteBuffer(bytes: [1, 2, 3])) }
        // A preallocated, untrimmed file: trailing zero entries are dropped.
        var padded = ByteBuffer()
        padded.writeInteger(Int32(5)); padded.writeInteger(Int32(100))
        padded.writeRepeatingByte(0, count: 64)
        #expect(try OffsetIndex(baseOffset: 0, bytes: padded).count == 1)
    }

    @Test func timeIndexIsMonotonic() throws {
        var index = TimeIndex(baseOffset: 0)
        index.maybeAppend(timestamp: 100, offset: 5)
        index.maybeAppend(timestamp: 90, offset: 7)   // older: ignored
        index.maybeAppend(timestamp: 200, offset: 9)
        #expect(index.count == 2)
        #expect(index.lookup(50) == .unknown(0))
        #expect(index.lookup(150) == TimestampOffset(timestamp: 100, offset: 5))
        #expect(index.lookup(250) == TimestampOffset(timestamp: 200, offset: 9))
        #expect(try TimeIndex(baseOffset: 0, bytes: index.bytes).last == index.last)
        index.truncate(toOffset: 9)
        #expect(index.count == 1)
    }

    @Test func transactionIndexRoundTripAndCollect() throws {
        let entries = [
            AbortedTransaction(producerId: 1, firstOffset: 5, lastOffset: 9, lastStableOffset: 10),
            AbortedTransaction(producerId: 2, firstOffset: 20, lastOffset: 30, lastStableOffset: 31),
        ]
        let bytes = TransactionIndex.encode(entries)
        #expect(bytes.readableBytes == 68)
        #expect(try TransactionIndex.parse(bytes) == entries)
        var torn = bytes
        torn.moveWriterIndex(to: 50)
        #expect(try TransactionIndex.parse(torn) == [entries[0]])
        #expect(TransactionIndex.collect(entries, from: 10, upTo: 25).transactions == [entries[1]])
        #expect(TransactionIndex.collect(entries, from: 0, upTo: 10).complete)
    }

    @Test func lruEvictsLeastRecentlyUsed() {
        var lru = LRUMap<String, Int>(maxCount: 2)
        lru.set("a", 1)
        lru.set("b", 2)
        _ = lru.get("a")
        #expect(lru.set("c", 3) == [2])
        #expect(lru.keys == ["c", "a"])
        var costly = LRUMap<Int, Int>(maxCount: 10, maxCost: 10)
        costly.set(1, 1, cost: 6)
        #expect(costly.set(2, 2, cost: 6) == [1])
        #expect(costly.totalCost == 6)
    }

    @Test func fileNames() {
        #expect(LogFileNames.fileName(1234, ".log") == "00000000000000001234.log")
        #expect(LogFileNames.parse("00000000000000001234.snapshot")! == (1234, ".snapshot"))
        #expect(LogFileNames.parse("leader-epoch-checkpoint") == nil)
        #expect(TopicPartition(directoryName: "my-topic-12") == TopicPartition("my-topic", 12))
        #expect(TopicPartition(directoryName: "t-0.0123456789abcdef0123456789abcdef-delete") == nil)
        #expect(TopicPartition(directoryName: "meta.properties") == nil)
    }
}
