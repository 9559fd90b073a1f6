import KafkaProtocol
import NIOCore

extension DumpLog {
    /// A producer-state snapshot: int16 version (1), uint32 CRC-32C of everything after it, then the entries of
    /// the `ProducerSnapshot` schema. Printed with the fields and names kafka-dump-log.sh uses.
    func dumpProducerSnapshot(_ path: String) throws {
        let bytes: ByteBuffer
        do { bytes = try readFile(path) } catch { throw DumpLogError.unreadable(path, "\(error)") }
        var reader = bytes
        guard let version: Int16 = reader.readInteger() else { return err("\(path): too short to be a producer snapshot") }
        guard ProducerSnapshot.validVersions.contains(version) else {
            return err("\(path): producer snapshot version \(version) is not supported")
        }
        let snapshot: ProducerSnapshot
        do { snapshot = try ProducerSnapshot(from: &reader, version: version) } catch {
            return err("\(path): corrupt producer snapshot: \(error)")
        }
        let computed = CRC32C.checksum(bytes.getSlice(at: bytes.readerIndex + 6, length: bytes.readableBytes - 6)!)
        guard computed == snapshot.crc else {
            return err("Snapshot is corrupt (CRC is no longer valid). Stored crc: \(snapshot.crc). Computed crc: \(computed)")
        }
        if options.json {
            return out(CompactJSON.render(.object([
                ("file", .string(path)), ("snapshot", CompactJSON.camelCased(MessageJSON.json(snapshot, version: version))),
            ])))
        }
        for e in snapshot.producerEntries {
            let txn = e.currentTxnFirstOffset >= 0 ? "OptionalLong[\(e.currentTxnFirstOffset)]" : "OptionalLong.empty"
            out("producerId: \(e.producerId) producerEpoch: \(e.epoch) coordinatorEpoch: \(e.coordinatorEpoch) "
                + "currentTxnFirstOffset: \(txn) lastTimestamp: \(e.timestamp) "
                + "firstSequence: \(Self.firstSequence(last: e.lastSequence, delta: e.offsetDelta)) lastSequence: \(e.lastSequence) "
                + "lastOffset: \(e.lastOffset) offsetDelta: \(e.offsetDelta) timestamp: \(e.timestamp)")
        }
    }

    /// Sequences wrap from Int32.max to 0, so counting back below 0 wraps to the top.
    static func firstSequence(last: Int32, delta: Int32) -> Int32 {
        let (first, overflow) = last.subtractingReportingOverflow(delta)
        if overflow || first < 0 { return Int32.max &- (delta &- last) &+ 1 }
        return first
    }
}
