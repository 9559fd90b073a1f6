import NIOCore

/// An offset and the byte position of the batch that holds it in the segment's `.log`.
public struct OffsetPosition: Hashable, Sendable {
    public var offset: Int64
    public var position: Int64

    public init(offset: Int64, position: Int64) {
        self.offset = offset
        self.position = position
    }
}

/// The sparse offset index of a segment (`.index`): 8-byte entries `int32 offset - baseOffset | int32 position`,
/// offsets strictly increasing, one entry about every `index.interval.bytes` of log.
///
/// Held as the file's bytes, so loading is one read and writing is one write, and a lookup is a binary search over
/// them. Kafka memory-maps a file preallocated to `segment.index.bytes`; we instead keep the active segment's
/// index in memory and write only its entries (never preallocated, never zero-padded) when the segment rolls,
/// is flushed or closed. Files written by Kafka may carry trailing zero entries (a preallocated file that was
/// not trimmed, after a crash); `init(baseOffset:bytes:)` drops them as Kafka's sanity check does.
public struct OffsetIndex: Sendable {
    /// Bytes per entry.
    public static let entrySize = 8

    public let baseOffset: Int64
    /// The entries in file format.
    public private(set) var bytes: ByteBuffer

    /// An empty index.
    public init(baseOffset: Int64) {
        self.baseOffset = baseOffset
        self.bytes = ByteBuffer()
    }

    /// Parses index file bytes, checking Kafka's invariants: whole entries, relative offsets increasing.
    /// Throws `.corrupt` when they do not hold (the caller rebuilds the index from the log).
    public init(baseOffset: Int64, bytes: ByteBuffer) throws {
        self.baseOffset = baseOffset
        guard bytes.readableBytes % Self.entrySize == 0 else {
            throw StorageError.corrupt("offset index of \(bytes.readableBytes) bytes is not a multiple of 8")
        }
        var count = bytes.readableBytes / Self.entrySize
        // A preallocated, untrimmed file ends in zero entries; entry 0 may legitimately be (0, 0).
        while count > 1, Self.relative(bytes, count - 1) == 0, Self.position(bytes, count - 1) == 0 { count -= 1 }
        self.bytes = bytes.getSlice(at: bytes.readerIndex, length: count * Self.entrySize)!
        var previous: Int32 = -1
        for i in 0 ..< count {
            let relative = Self.relative(self.bytes, i)
            guard relative > previous, Self.position(self.bytes, i) >= 0 else {
                throw StorageError.corrupt("offset index entry \(i) of segment \(baseOffset) out of order")
            }
            previous = relative
        }
    }

    @inline(__always)
    static func relative(_ bytes: ByteBuffer, _ i: Int) -> Int32 {
        bytes.getInteger(at: bytes.readerIndex + i * entrySize, endianness: .big, as: Int32.self)!
    }

    @inline(__always)
    static func position(_ bytes: ByteBuffer, _ i: Int) -> Int32 {
        bytes.getInteger(at: bytes.readerIndex + i * entrySize + 4, endianness: .big, as: Int32.self)!
    }

    /// Number of entries.
    public var count: Int { bytes.readableBytes / Self.entrySize }

    /// Size of the entries in bytes.
    public var sizeInBytes: Int { bytes.readableBytes }

    /// The entry at `i`.
    public func entry(_ i: Int) -> OffsetPosition {
        OffsetPosition(offset: baseOffset + Int64(Self.relative(bytes, i)), position: Int64(Self.position(bytes, i)))
    }

    /// The last entry, nil when empty.
    public var last: OffsetPosition? { count == 0 ? nil : entry(count - 1) }

    /// Whether `maxBytes` (`segment.index.bytes`) leaves no room for another entry: the segment must roll.
    public func isFull(maxBytes: Int) -> Bool { sizeInBytes + Self.entrySize > maxBytes }

    /// Adds an entry; ignored unless `offset` is above the last entry's (Kafka refuses those too).
    public mutating func append(offset: Int64, position: Int64) {
        if let last, offset <= last.offset { return }
        precondition(offset - baseOffset <= Int64(Int32.max) && position <= Int64(Int32.max))
        bytes.writeInteger(Int32(offset - baseOffset), endianness: .big)
        bytes.writeInteger(Int32(position), endianness: .big)
    }

    /// The largest entry whose offset is at most `offset`, or (baseOffset, 0) when there is none: where a scan for
    /// `offset` starts.
    public func lookup(_ offset: Int64) -> OffsetPosition {
        var low = 0
        var high = count - 1
        var found = -1
        let target = offset - baseOffset
        while low <= high {
            let mid = (low + high) / 2
            if Int64(Self.relative(bytes, mid)) <= target {
                found = mid
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found < 0 ? OffsetPosition(offset: baseOffset, position: 0) : entry(found)
    }

    /// Removes the entries for offsets at or above `offset` (log truncation).
    public mutating func truncate(toOffset offset: Int64) {
        var keep = count
        while keep > 0, entry(keep - 1).offset >= offset { keep -= 1 }
        bytes = bytes.getSlice(at: bytes.readerIndex, length: keep * Self.entrySize)!
    }

    /// Removes every entry.
    public mutating func reset() { bytes = ByteBuffer() }
}
