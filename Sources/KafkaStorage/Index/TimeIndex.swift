import NIOCore

/// A timestamp and an offset (Kafka's TimestampOffset). In the time index, `timestamp` is the largest timestamp
/// seen up to and including the batch that holds `offset`; in a ListOffsets answer, a record's timestamp and offset.
public struct TimestampOffset: Hashable, Sendable {
    public var timestamp: Int64
    public var offset: Int64

    public init(timestamp: Int64, offset: Int64) {
        self.timestamp = timestamp
        self.offset = offset
    }

    /// Kafka's "no entry": timestamp -1.
    public static func unknown(_ baseOffset: Int64) -> TimestampOffset { TimestampOffset(timestamp: -1, offset: baseOffset) }
}

/// The time index of a segment (`.timeindex`): 12-byte entries `int64 timestamp | int32 offset - baseOffset`,
/// timestamps and offsets never decreasing. An entry (T, O) is added with each offset-index entry when the
/// segment's largest timestamp grew, and once more when the segment stops being active, so the last entry holds
/// the segment's largest timestamp (what time-based retention reads). Held in memory like `OffsetIndex`.
public struct TimeIndex: Sendable {
    /// Bytes per entry.
    public static let entrySize = 12

    public let baseOffset: Int64
    /// The entries in file format.
    public private(set) var bytes: ByteBuffer

    public init(baseOffset: Int64) {
        self.baseOffset = baseOffset
        self.bytes = ByteBuffer()
    }

    /// Parses file bytes; throws `.corrupt` when entries are partial or out of order. Trailing zero entries (an
    /// untrimmed preallocated Kafka file) are dropped.
    public init(baseOffset: Int64, bytes: ByteBuffer) throws {
        self.baseOffset = baseOffset
        guard bytes.readableBytes % Self.entrySize == 0 else {
            throw StorageError.corrupt("time index of \(bytes.readableBytes) bytes is not a multiple of 12")
        }
        var count = bytes.readableBytes / Self.entrySize
        while count > 0, Self.timestamp(bytes, count - 1) == 0, Self.relative(bytes, count - 1) == 0 { count -= 1 }
        self.bytes = bytes.getSlice(at: bytes.readerIndex, length: count * Self.entrySize)!
        var previous = TimestampOffset(timestamp: Int64.min, offset: -1)
        for i in 0 ..< count {
            let entry = self.entry(i)
            guard entry.timestamp >= previous.timestamp, entry.offset >= previous.offset, entry.offset >= baseOffset else {
                throw StorageError.corrupt("time index entry \(i) of segment \(baseOffset) out of order")
            }
            previous = entry
        }
    }

    @inline(__always)
    static func timestamp(_ bytes: ByteBuffer, _ i: Int) -> Int64 {
        bytes.getInteger(at: bytes.readerIndex + i * entrySize, endianness: .big, as: Int64.self)!
    }

    @inline(__always)
    static func relative(_ bytes: ByteBuffer, _ i: Int) -> Int32 {
        bytes.getInteger(at: bytes.readerIndex + i * entrySize + 8, endianness: .big, as: Int32.self)!
    }

    public var count: Int { bytes.readableBytes / Self.entrySize }
    public var sizeInBytes: Int { bytes.readableBytes }

    public func entry(_ i: Int) -> TimestampOffset {
        TimestampOffset(timestamp: Self.timestamp(bytes, i), offset: baseOffset + Int64(Self.relative(bytes, i)))
    }

    /// The last entry, nil when empty.
    public var last: TimestampOffset? { count == 0 ? nil : entry(count - 1) }

    /// Whether there is no room for another entry within `maxBytes`.
    public func isFull(maxBytes: Int) -> Bool { sizeInBytes + Self.entrySize > maxBytes }

    /// Adds (timestamp, offset) when the timestamp is larger than the last entry's; Kafka's `maybeAppend`.
    public mutating func maybeAppend(timestamp: Int64, offset: Int64) {
        if let last {
            guard timestamp > last.timestamp, offset >= last.offset else { return }
        }
        precondition(offset - baseOffset <= Int64(Int32.max))
        bytes.writeInteger(timestamp, endianness: .big)
        bytes.writeInteger(Int32(offset - baseOffset), endianness: .big)
    }

    /// The entry with the largest timestamp at most `timestamp`, or (-1, baseOffset) when there is none.
    public func lookup(_ timestamp: Int64) -> TimestampOffset {
        var low = 0
        var high = count - 1
        var found = -1
        while low <= high {
            let mid = (low + high) / 2
            if Self.timestamp(bytes, mid) <= timestamp {
                found = mid
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found < 0 ? .unknown(baseOffset) : entry(found)
    }

    /// Removes the entries whose offset is at or above `offset`.
    public mutating func truncate(toOffset offset: Int64) {
        var keep = count
        while keep > 0, entry(keep - 1).offset >= offset { keep -= 1 }
        bytes = bytes.getSlice(at: bytes.readerIndex, length: keep * Self.entrySize)!
    }

    public mutating func reset() { bytes = ByteBuffer() }
}
