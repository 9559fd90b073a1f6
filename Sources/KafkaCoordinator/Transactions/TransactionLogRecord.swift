import KafkaProtocol
import NIOCore

/// One record of `__transaction_state`, framed as Kafka frames coordinator records: the key is an int16 key
/// version (0) followed by `TransactionLogKey`, the value an int16 value version followed by
/// `TransactionLogValue`; a null value is a tombstone (the transactional id expired).
///
/// Every record is a full snapshot of the transactional id's metadata, so the last one read wins on replay.
public struct TransactionLogRecord: Sendable, Hashable {
    /// The transactional id the record describes.
    public var transactionalId: String
    /// The metadata, nil for a tombstone.
    public var value: TransactionLogValue?
    /// The key version read or written (always 0 today).
    public var keyVersion: Int16
    /// The value version read or written: 0 is what Kafka writes for transaction.version 0/1 clients; 1 (flexible,
    /// with the KIP-890 tagged fields) for transaction.version 2.
    public var valueVersion: Int16

    public init(transactionalId: String, value: TransactionLogValue?, keyVersion: Int16 = 0, valueVersion: Int16 = 0) {
        self.transactionalId = transactionalId
        self.value = value
        self.keyVersion = keyVersion
        self.valueVersion = valueVersion
    }

    /// A tombstone: the transactional id is removed (Kafka's transition to `Dead`).
    public static func tombstone(_ transactionalId: String) -> TransactionLogRecord {
        TransactionLogRecord(transactionalId: transactionalId, value: nil)
    }

    /// True when the value is null.
    public var isTombstone: Bool { value == nil }

    /// The record key bytes.
    public func encodeKey() throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(keyVersion, endianness: .big)
        var key = TransactionLogKey()
        key.transactionalId = transactionalId
        try key.encode(into: &buffer, version: 0)
        return buffer
    }

    /// The record value bytes, nil for a tombstone.
    public func encodeValue() throws -> ByteBuffer? {
        guard let value else { return nil }
        var buffer = ByteBuffer()
        buffer.writeInteger(valueVersion, endianness: .big)
        try value.encode(into: &buffer, version: valueVersion)
        return buffer
    }

    /// Decodes a record read from `__transaction_state`.
    public init(key keyBytes: ByteBuffer, value valueBytes: ByteBuffer?) throws {
        var key = keyBytes
        guard let keyVersion: Int16 = key.readInteger(endianness: .big) else {
            throw ProtocolError.invalid("transaction log key shorter than its version")
        }
        // Only key version 0 exists; a later one would be a format this coordinator cannot read safely.
        guard keyVersion == 0 else { throw ProtocolError.invalid("unknown transaction log key version \(keyVersion)") }
        let k = try TransactionLogKey(from: &key, version: 0)
        guard var value = valueBytes else {
            self.init(transactionalId: k.transactionalId, value: nil, keyVersion: keyVersion, valueVersion: 0)
            return
        }
        guard let version: Int16 = value.readInteger(endianness: .big) else {
            throw ProtocolError.invalid("transaction log value shorter than its version")
        }
        // KIP-915: versions above the last known one only add tagged fields; read them as the last one.
        let decoded = try TransactionLogValue(from: &value, version: min(version, TransactionLogValue.validVersions.upperBound))
        self.init(transactionalId: k.transactionalId, value: decoded, keyVersion: keyVersion, valueVersion: version)
    }
}
