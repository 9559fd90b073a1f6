import NIOCore

/// File regions laid out in a message as it is encoded: a `records` field holding a placeholder
/// (`RecordsRegions.placeholder(index)`) is written as the length prefix of region `index` and no bytes, and the
/// position where the region's bytes belong is recorded. The writer then sends the encoded bytes up to each mark,
/// the region (sendfile), and so on — no search of the encoded response afterwards.
///
/// Only messages holding `records` fields (Fetch, FetchSnapshot, ShareFetch responses, Produce requests) take
/// regions; the generated `encode(into:version:regions:)` threads them down to those fields. A placeholder met
/// while encoding without regions (or naming a region that does not exist) is written as its 16 bytes, which
/// `unplaced` then reports.
public struct RecordsRegions: Sendable {
    /// Where one region's bytes go in the encoded buffer.
    public struct Mark: Sendable, Equatable {
        /// The buffer's writer index at the point the region's bytes belong (its length prefix is before it).
        public var offset: Int
        /// The region's index in `lengths`.
        public var region: Int
    }

    /// The length in bytes of each region a placeholder may name.
    public let lengths: [Int]
    /// The regions placed so far, in buffer order.
    public private(set) var marks: [Mark] = []
    /// The number of bytes the regions add to the encoded message.
    public private(set) var addedBytes = 0
    private var placed: [Bool]
    /// Placeholders that named a region already placed or one that does not exist.
    public private(set) var strays: [Int] = []

    /// Regions of the given lengths; `placeholder(i)` names the i-th.
    public init(lengths: [Int]) {
        self.lengths = lengths
        self.placed = Array(repeating: false, count: lengths.count)
    }

    /// No regions: records fields are written as they are.
    public static var inline: RecordsRegions { RecordsRegions(lengths: []) }

    /// The regions no placeholder asked for.
    public var unplaced: [Int] { placed.indices.filter { !placed[$0] } }

    /// The placeholder a `records` field holds until region `index` is laid out there: 12 fixed bytes that real
    /// records cannot start with (a batch starts with an 8-byte base offset and is at least 61 bytes long), then the
    /// index.
    public static func placeholder(_ index: Int) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(placeholderSize)
        b.writeBytes(marker)
        b.writeInteger(UInt32(index))
        return b
    }

    static let marker: [UInt8] = [0xF7, 0x1B, 0x7A, 0x52, 0x9C, 0x03, 0xE1, 0x5D, 0x44, 0xB0, 0x6E, 0x2A]
    static let placeholderSize = 16

    /// The region a records value names, when it is a placeholder.
    static func index(of value: ByteBuffer) -> Int? {
        guard value.readableBytes == placeholderSize,
              value.readableBytesView.prefix(marker.count).elementsEqual(marker),
              let index = value.getInteger(at: value.readerIndex + marker.count, as: UInt32.self)
        else { return nil }
        return Int(index)
    }

    /// Records region `index` at `offset`; false when the index is out of range or already placed.
    mutating func place(_ index: Int, at offset: Int) -> Bool {
        guard index < lengths.count, !placed[index] else {
            strays.append(index)
            return false
        }
        placed[index] = true
        marks.append(Mark(offset: offset, region: index))
        addedBytes += lengths[index]
        return true
    }
}

extension ByteBuffer {
    /// Writes a `records` field: a placeholder naming one of `regions` becomes that region's length prefix and a
    /// mark; anything else is written as bytes.
    @inlinable
    public mutating func kafkaWriteRecords(_ value: ByteBuffer?, compact: Bool, regions: inout RecordsRegions) {
        if !regions.lengths.isEmpty, let value, value.readableBytes == 16, kafkaPlaceRegion(value, compact: compact, regions: &regions) {
            return
        }
        kafkaWriteBytes(value, compact: compact)
    }

    @usableFromInline
    mutating func kafkaPlaceRegion(_ value: ByteBuffer, compact: Bool, regions: inout RecordsRegions) -> Bool {
        guard let index = RecordsRegions.index(of: value) else { return false }
        guard index < regions.lengths.count else {
            _ = regions.place(index, at: writerIndex)  // a stray: written as bytes, reported by the writer
            return false
        }
        let length = regions.lengths[index]
        let before = writerIndex
        kafkaWriteLength(length, compact: compact, wide: true)
        guard regions.place(index, at: writerIndex) else {
            moveWriterIndex(to: before)
            return false
        }
        return true
    }
}
