import NIOCore

/// The type of a control record, from its key (int16 key version, int16 type).
public enum ControlRecordType: Hashable, Sendable, CustomStringConvertible {
    case abort
    case commit
    case leaderChange
    case snapshotHeader
    case snapshotFooter
    case kraftVersion
    case kraftVoters
    /// A type this version does not know; Kafka skips such records.
    case unknown(Int16)

    /// The key version this code writes; readers treat higher versions as this one.
    public static let currentKeyVersion: Int16 = 0

    /// The type for a key's type field; values outside 0-6 become `.unknown`.
    public init(rawValue: Int16) {
        switch rawValue {
        case 0: self = .abort
        case 1: self = .commit
        case 2: self = .leaderChange
        case 3: self = .snapshotHeader
        case 4: self = .snapshotFooter
        case 5: self = .kraftVersion
        case 6: self = .kraftVoters
        default: self = .unknown(rawValue)
        }
    }

    /// The type field as written in the key.
    public var rawValue: Int16 {
        switch self {
        case .abort: return 0
        case .commit: return 1
        case .leaderChange: return 2
        case .snapshotHeader: return 3
        case .snapshotFooter: return 4
        case .kraftVersion: return 5
        case .kraftVoters: return 6
        case .unknown(let v): return v
        }
    }

    /// Whether this is a transaction marker (ABORT or COMMIT).
    public var isTransactionMarker: Bool { self == .abort || self == .commit }

    /// Reads the type from a control record's key. A key shorter than 4 bytes or with a negative version is
    /// `.invalid`; a version above the current one is read as the current one, as Kafka does.
    public init(key: ByteBuffer?) throws {
        guard let key, key.readableBytes >= 4 else {
            throw ProtocolError.invalid("control record key of \(key?.readableBytes ?? -1) bytes, expected 4")
        }
        let version = key.getInteger(at: key.readerIndex, endianness: .big, as: Int16.self)!
        guard version >= 0 else { throw ProtocolError.invalid("control record key version \(version)") }
        self.init(rawValue: key.getInteger(at: key.readerIndex + 2, endianness: .big, as: Int16.self)!)
    }

    /// The 4-byte key: version 0, type.
    public var encodedKey: ByteBuffer {
        var key = ByteBuffer()
        key.reserveCapacity(4)
        key.writeInteger(Self.currentKeyVersion, endianness: .big)
        key.writeInteger(rawValue, endianness: .big)
        return key
    }

    public var description: String {
        switch self {
        case .abort: return "ABORT"
        case .commit: return "COMMIT"
        case .leaderChange: return "LEADER_CHANGE"
        case .snapshotHeader: return "SNAPSHOT_HEADER"
        case .snapshotFooter: return "SNAPSHOT_FOOTER"
        case .kraftVersion: return "KRAFT_VERSION"
        case .kraftVoters: return "KRAFT_VOTERS"
        case .unknown(let v): return "UNKNOWN(\(v))"
        }
    }
}

/// The COMMIT or ABORT marker that ends a transaction in a partition: the control record's type and the value
/// `int16 version (0) | int32 coordinatorEpoch`.
public struct EndTransactionMarker: Hashable, Sendable {
    /// `.commit` or `.abort`.
    public var type: ControlRecordType
    /// The epoch of the transaction coordinator that wrote the marker (fences stale coordinators).
    public var coordinatorEpoch: Int32

    /// The value version this code writes.
    public static let currentValueVersion: Int16 = 0

    /// A COMMIT (`commit`) or ABORT marker.
    public init(commit: Bool, coordinatorEpoch: Int32) {
        self.type = commit ? .commit : .abort
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Decodes the marker of a control record; `.invalid` when the record is not a transaction marker.
    public init(record: Record) throws {
        let type = try ControlRecordType(key: record.key)
        guard type.isTransactionMarker else { throw ProtocolError.invalid("control record \(type) is not a transaction marker") }
        guard let value = record.value, value.readableBytes >= 6 else {
            throw ProtocolError.invalid("transaction marker value of \(record.value?.readableBytes ?? -1) bytes")
        }
        let version = value.getInteger(at: value.readerIndex, endianness: .big, as: Int16.self)!
        guard version >= 0 else { throw ProtocolError.invalid("transaction marker version \(version)") }
        self.type = type
        self.coordinatorEpoch = value.getInteger(at: value.readerIndex + 2, endianness: .big, as: Int32.self)!
    }

    /// Whether the transaction committed.
    public var isCommit: Bool { type == .commit }

    /// The record value: version 0, coordinatorEpoch.
    public var encodedValue: ByteBuffer {
        var value = ByteBuffer()
        value.reserveCapacity(6)
        value.writeInteger(Self.currentValueVersion, endianness: .big)
        value.writeInteger(coordinatorEpoch, endianness: .big)
        return value
    }
}
