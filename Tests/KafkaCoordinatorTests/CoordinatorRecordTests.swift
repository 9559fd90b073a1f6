import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct CoordinatorRecordTests {
    @Test func offsetCommitFraming() throws {
        var v = OffsetCommitValue()
        v.offset = 42
        v.leaderEpoch = 7
        v.metadata = "m"
        v.commitTimestamp = 1_000
        let record = CoordinatorRecord.offsetCommit(group: "g", topic: "t", partition: 3, value: v)
        var key = try record.encodeKey()
        // int16 type 1, then string group, string topic, int32 partition.
        #expect(key.readInteger(endianness: .big, as: Int16.self) == 1)
        #expect(key.readInteger(endianness: .big, as: Int16.self) == 1)
        #expect(key.readString(length: 1) == "g")
        var value = try record.encodeValue()!
        #expect(value.readInteger(endianness: .big, as: Int16.self) == 3)
        #expect(value.readInteger(endianness: .big, as: Int64.self) == 42)
        let decoded = try CoordinatorRecord(key: try record.encodeKey(), value: try record.encodeValue())
        #expect(decoded == record)
    }

    @Test func tombstonesAndGroupMetadata() throws {
        let t = CoordinatorRecord.groupTombstone(group: "g")
        #expect(try t.encodeValue() == nil)
        let back = try CoordinatorRecord(key: try t.encodeKey(), value: nil)
        #expect(back.isTombstone)
        var gm = GroupMetadataValue()
        gm.protocolType = "consumer"
        gm.generation = 4
        gm.protocol = "range"
        gm.leader = "m"
        var member = GroupMetadataValue.MemberMetadata()
        member.memberId = "m"
        member.groupInstanceId = "i"
        member.sessionTimeout = 10_000
        member.rebalanceTimeout = 30_000
        member.assignment = ByteBuffer(string: "a")
        gm.members = [member]
        let r = CoordinatorRecord.groupMetadata(group: "g", value: gm)
        #expect(try CoordinatorRecord(key: try r.encodeKey(), value: try r.encodeValue()) == r)
    }

    @Test func unknownTypesAreKept() throws {
        var key = ByteBuffer()
        key.writeInteger(Int16(16), endianness: .big)  // a resolved regex (not interpreted)
        key.writeString("x")
        let r = try CoordinatorRecord(key: key, value: nil)
        guard case .other(let type, _, _) = r.payload else { Issue.record(); return }
        #expect(type == 16)
        #expect(try r.encodeKey() == key, "kept records are written back byte for byte")
    }

    /// Reads every record of the `__consumer_offsets-4` partition Kafka 3.7.1 wrote, decodes it with our codec,
    /// re-encodes it byte for byte, and replays it.
    @Test func kafkaWrittenPartitionReplays() throws {
        let path = coordinatorCaptures + "/__consumer_offsets-4/00000000000000000000.log"
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("capture missing at \(path)")
            return
        }
        var iterator = RecordBatchIterator(ByteBuffer(bytes: data))
        var shard = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        var counts: [String: Int] = [:]
        while let batch = try iterator.next() {
            #expect(batch.hasValidCRC)
            if batch.header.isControl { counts["control", default: 0] += 1; continue }
            var records = try batch.records()
            while let rec = try records.next() {
                guard let key = rec.key else { Issue.record("record without key"); continue }
                let decoded = try CoordinatorRecord(key: key, value: rec.value)
                switch decoded.payload {
                case .offsetCommit(_, _, _, let v): counts[v == nil ? "offset-tombstone" : "offset-v\(decoded.valueVersion)", default: 0] += 1
                case .groupMetadata(_, let v): counts[v == nil ? "group-tombstone" : "group-v\(decoded.valueVersion)", default: 0] += 1
                case .consumerGroup(let r): counts[r.isTombstone ? "consumer-\(r.keyType)-tombstone" : "consumer-\(r.keyType)", default: 0] += 1
                case .other(let t, _, _): counts["type-\(t)", default: 0] += 1
                }
                // Our encoder writes the same bytes Kafka wrote.
                #expect(try decoded.encodeKey() == key)
                #expect(try decoded.encodeValue() == rec.value)
                shard.replay(decoded)
            }
        }
        #expect(!shard.groups.isEmpty)
        print("__consumer_offsets-4 record kinds: \(counts.sorted { $0.key < $1.key })")
        for id in shard.groups.keys.sorted() {
            let g = shard.groups[id]!
            print("group \(id): \(g.state.rawValue) generation \(g.generationId) type \(g.protocolType ?? "-") protocol \(g.protocolName ?? "-") members \(g.members.map(\.memberId))")
            for (tp, o) in (shard.offsets[id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                print("  \(tp.topic)-\(tp.partition): offset \(o.offset) epoch \(o.leaderEpoch) metadata '\(o.metadata)' at \(o.commitTimestamp)")
            }
        }
    }
}
