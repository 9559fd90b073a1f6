import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct TxnLogRecordTests {
    @Test func framing() throws {
        let meta = TransactionMetadata(transactionalId: "tx", producerId: 9, producerEpoch: 2, timeoutMs: 60_000,
                                       state: .ongoing, partitions: [TxnPartition("b", 1), TxnPartition("a", 3), TxnPartition("a", 0)],
                                       lastUpdateTimestamp: 5, startTimestamp: 4)
        let record = TransactionLogRecord(transactionalId: "tx", value: meta.logValue())
        var key = try record.encodeKey()
        // int16 key version 0, then the id as an int16-length string.
        #expect(key.readInteger(endianness: .big, as: Int16.self) == 0)
        #expect(key.readInteger(endianness: .big, as: Int16.self) == 2)
        #expect(key.readString(length: 2) == "tx")
        var value = try record.encodeValue()!
        #expect(value.readInteger(endianness: .big, as: Int16.self) == 0)
        #expect(value.readInteger(endianness: .big, as: Int64.self) == 9)
        let back = try TransactionLogRecord(key: try record.encodeKey(), value: try record.encodeValue())
        #expect(back == record)
        #expect(back.value?.transactionPartitions?.map(\.topic) == ["a", "b"])
        #expect(TransactionMetadata(transactionalId: "tx", value: back.value!) == meta)
        let tomb = TransactionLogRecord.tombstone("tx")
        #expect(try tomb.encodeValue() == nil)
        #expect(try TransactionLogRecord(key: try tomb.encodeKey(), value: nil).isTombstone)
    }

    @Test func flexibleVersionKeepsTaggedFields() throws {
        var v = TransactionLogValue()
        v.producerId = 3
        v.previousProducerId = 2
        v.nextProducerId = 4
        v.clientTransactionVersion = 2
        let r = TransactionLogRecord(transactionalId: "x", value: v, valueVersion: 1)
        let back = try TransactionLogRecord(key: try r.encodeKey(), value: try r.encodeValue())
        #expect(back == r)
        #expect(try back.encodeValue() == (try r.encodeValue()))
    }

    /// Reads every record of the `__transaction_state-1` partition Kafka wrote, decodes it, re-encodes it byte for
    /// byte, replays it, and reports the ids and their final states.
    @Test func kafkaWrittenPartitionReplays() throws {
        let path = coordinatorCaptures + "/__transaction_state-1/00000000000000000000.log"
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("capture missing at \(path)")
            return
        }
        var iterator = RecordBatchIterator(ByteBuffer(bytes: data))
        var shard = TransactionCoordinatorShard(coordinatorEpoch: 0)
        var seen: [String] = []
        var count = 0
        while let batch = try iterator.next() {
            #expect(batch.hasValidCRC)
            if batch.header.isControl { continue }
            var records = try batch.records()
            while let rec = try records.next() {
                guard let key = rec.key else { Issue.record("record without key"); continue }
                let decoded = try TransactionLogRecord(key: key, value: rec.value)
                #expect(try decoded.encodeKey() == key)
                #expect(try decoded.encodeValue() == rec.value)
                let state = decoded.value.map { TransactionState(rawValue: $0.transactionStatus)?.name ?? "?" } ?? "tombstone"
                let parts = (decoded.value?.transactionPartitions ?? []).map { "\($0.topic)\($0.partitionIds)" }
                seen.append("\(decoded.transactionalId) v\(decoded.valueVersion) \(state) pid \(decoded.value?.producerId ?? -1) epoch \(decoded.value?.producerEpoch ?? -1) \(parts)")
                shard.replay(decoded)
                count += 1
            }
        }
        #expect(count > 0)
        print("__transaction_state-1: \(count) records")
        for line in seen { print("  \(line)") }
        for id in shard.transactions.keys.sorted() {
            let m = shard.transactions[id]!
            print("final \(id): \(m.state) pid \(m.producerId) epoch \(m.producerEpoch) timeout \(m.timeoutMs)")
        }
        // A loaded partition resumes: nothing is left between PREPARE and COMPLETE in a cleanly stopped broker.
        let resumed = shard.onLoaded(now: 0)
        #expect(resumed.markers.count == shard.transactions.values.filter { $0.state.isPrepare }.count)
    }
}
