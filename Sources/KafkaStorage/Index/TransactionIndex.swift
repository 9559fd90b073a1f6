import NIOCore

/// An aborted transaction as the `.txnindex` stores it and as Fetch reports it (producerId, firstOffset).
public struct AbortedTransaction: Hashable, Sendable {
    /// The entry version Kafka writes.
    public static let currentVersion: Int16 = 0
    /// Bytes per entry.
    public static let size = 34

    public var producerId: Int64
    /// The offset of the transaction's first batch in this partition.
    public var firstOffset: Int64
    /// The offset of the ABORT marker.
    public var lastOffset: Int64
    /// The partition's last stable offset once the abort completed.
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }

    /// `int16 version | int64 producerId | int64 firstOffset | int64 lastOffset | int64 lastStableOffset`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.currentVersion, endianness: .big)
        buffer.writeInteger(producerId, endianness: .big)
        buffer.writeInteger(firstOffset, endianness: .big)
        buffer.writeInteger(lastOffset, endianness: .big)
        buffer.writeInteger(lastStableOffset, endianness: .big)
    }

    /// Encoded form of one entry.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }
}

/// The transaction index of a segment (`.txnindex`): the aborted transactions whose ABORT marker is in the
/// segment, in marker order. The file exists only once a segment has one (as in Kafka) and is only appended to.
public enum TransactionIndex {
    /// Parses a `.txnindex` file. A trailing partial entry (a torn append) is ignored; an unknown version is
    /// `.corrupt`, as Kafka refuses it.
    public static func parse(_ bytes: ByteBuffer) throws -> [AbortedTransaction] {
        var buffer = bytes
        var entries: [AbortedTransaction] = []
        while buffer.readableBytes >= AbortedTransaction.size {
            let version = buffer.readInteger(endianness: .big, as: Int16.self)!
            guard version == AbortedTransaction.currentVersion else {
                throw StorageError.corrupt("transaction index entry version \(version)")
            }
            entries.append(AbortedTransaction(
                producerId: buffer.readInteger(endianness: .big)!, firstOffset: buffer.readInteger(endianness: .big)!,
                lastOffset: buffer.readInteger(endianness: .big)!, lastStableOffset: buffer.readInteger(endianness: .big)!))
        }
        return entries
    }

    /// Encodes entries in file format.
    public static func encode(_ entries: [AbortedTransaction]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(entries.count * AbortedTransaction.size)
        for entry in entries { entry.write(into: &buffer) }
        return buffer
    }

    /// Kafka's `collectAbortedTxns` over one segment's entries: those overlapping [fetchOffset, upperBound).
    /// `complete` is true when an entry's lastStableOffset reached `upperBound`, so later segments cannot add any.
    public static func collect(
        _ entries: [AbortedTransaction], from fetchOffset: Int64, upTo upperBound: Int64
    ) -> (transactions: [AbortedTransaction], complete: Bool) {
        var found: [AbortedTransaction] = []
        for entry in entries {
            if entry.lastOffset >= fetchOffset && entry.firstOffset < upperBound { found.append(entry) }
            if entry.lastStableOffset >= upperBound { return (found, true) }
        }
        return (found, false)
    }
}
