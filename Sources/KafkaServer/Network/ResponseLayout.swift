import KafkaProtocol
import NIOCore

/// The wire parts of a response whose file regions were laid out in place while it was encoded
/// (`RecordsRegions`): the encoded bytes up to each region's mark, the region, and so on. Nothing is searched and
/// nothing is copied: the byte parts are slices of the one encoded buffer.
enum ResponseLayout {
    enum Part {
        case bytes(ByteBuffer)
        case file(FileSlice)
    }

    /// The regions of an encoded response and its placeholders do not pair up one to one: a bug in the handler that
    /// built the response. Sending it would hand the client 16 placeholder bytes as records.
    struct Mismatch: Error, CustomStringConvertible {
        /// Slices no placeholder asked for.
        var unplaced: [Int]
        /// Placeholders naming no slice, or a slice already placed.
        var strays: [Int]

        var description: String {
            "file slices \(unplaced) of the response have no placeholder; stray placeholders \(strays)"
        }
    }

    /// The regions to lay out for `slices`, for `KafkaFrame.encodeResponse(..., regions:)`.
    static func regions(for slices: [FileSlice]) -> RecordsRegions {
        RecordsRegions(lengths: slices.map(\.length))
    }

    /// Splits `frame` (the whole encoded frame, size prefix included) at the marks `regions` recorded, putting each
    /// mark's slice there.
    static func parts(of frame: ByteBuffer, regions: RecordsRegions, slices: [FileSlice]) throws(Mismatch) -> [Part] {
        let unplaced = regions.unplaced
        guard unplaced.isEmpty, regions.strays.isEmpty else {
            throw Mismatch(unplaced: unplaced, strays: regions.strays)
        }
        var parts: [Part] = []
        parts.reserveCapacity(2 * regions.marks.count + 1)
        var cursor = frame.readerIndex
        for mark in regions.marks {
            if mark.offset > cursor, let bytes = frame.getSlice(at: cursor, length: mark.offset - cursor) {
                parts.append(.bytes(bytes))
            }
            parts.append(.file(slices[mark.region]))
            cursor = mark.offset
        }
        if frame.writerIndex > cursor, let bytes = frame.getSlice(at: cursor, length: frame.writerIndex - cursor) {
            parts.append(.bytes(bytes))
        }
        return parts
    }
}
