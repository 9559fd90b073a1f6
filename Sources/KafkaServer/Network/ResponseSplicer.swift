import KafkaProtocol
import NIOCore

/// Splices file regions into an encoded response: each `records` field holding a `FileSlice.placeholder` gets its
/// length prefix rewritten for the region and its bytes replaced by the region itself, and the frame's size prefix
/// is corrected. Nothing else in a Kafka response carries the size of an enclosing structure (records are never in
/// a tagged field), so this is the only fix-up needed.
///
/// A placeholder carries the index of its slice, and that slice is the one spliced there, wherever the placeholder
/// sits in the frame: the response's order (Kafka's topic runs) need not be the order the slices were read in.
enum ResponseSplicer {
    enum Part {
        case bytes(ByteBuffer)
        case file(FileSlice)
    }

    /// The placeholders of a frame and its slices do not pair up one to one: a bug in the handler that built the
    /// response. Sending it would hand the client 16 marker bytes as records.
    struct Mismatch: Error, CustomStringConvertible {
        /// Slices no placeholder asked for.
        var unplaced: [Int]
        /// Placeholders naming no slice, or a slice already spliced.
        var strays: [UInt32]

        var description: String {
            "file slices \(unplaced) of the response have no placeholder; stray placeholders \(strays)"
        }
    }

    /// `frame` is the whole encoded frame, size prefix included; `compact` says whether the response version uses
    /// compact (varint) lengths.
    static func splice(_ frame: ByteBuffer, slices: [FileSlice], compact: Bool) throws(Mismatch) -> [Part] {
        let marker = FileSlice.marker
        let placeholderSize = marker.count + 4
        let prefixSize = compact ? 1 : 4  // varint(16 + 1) is one byte; classic lengths are an int32
        var parts: [Part] = []
        var cursor = frame.readerIndex
        var total = frame.readableBytes - 4
        var placed = [Bool](repeating: false, count: slices.count)
        var remaining = slices.count
        var strays: [UInt32] = []
        let view = frame.readableBytesView
        // A placeholder is the marker, its index, and in front the length prefix of a 16-byte records field.
        var i = view.startIndex + 4 + prefixSize
        while remaining > 0, i + placeholderSize <= view.endIndex {
            guard view[i] == marker[0], view[i..<(i + marker.count)].elementsEqual(marker),
                  Self.hasPlaceholderLength(frame, before: i, compact: compact),
                  let index = frame.getInteger(at: i + marker.count, as: UInt32.self)
            else {
                i += 1
                continue
            }
            guard Int(index) < slices.count, !placed[Int(index)] else {
                strays.append(index)
                i += placeholderSize
                continue
            }
            let slice = slices[Int(index)]
            placed[Int(index)] = true
            remaining -= 1
            let prefixStart = i - prefixSize
            parts.append(.bytes(frame.getSlice(at: cursor, length: prefixStart - cursor)!))
            var length = ByteBuffer()
            if compact {
                length.kafkaWriteUnsignedVarint(UInt32(slice.length + 1))
            } else {
                length.writeInteger(Int32(slice.length))
            }
            total += length.readableBytes - prefixSize + slice.length - placeholderSize
            parts.append(.bytes(length))
            parts.append(.file(slice))
            cursor = i + placeholderSize
            i = cursor
        }
        guard remaining == 0, strays.isEmpty else {
            throw Mismatch(unplaced: placed.indices.filter { !placed[$0] }, strays: strays)
        }
        parts.append(.bytes(frame.getSlice(at: cursor, length: frame.writerIndex - cursor)!))
        if case .bytes(var first) = parts[0] {
            first.setInteger(Int32(total), at: first.readerIndex)
            parts[0] = .bytes(first)
        }
        return parts
    }

    /// Whether the bytes before `position` are the length of a placeholder-sized records field.
    private static func hasPlaceholderLength(_ frame: ByteBuffer, before position: Int, compact: Bool) -> Bool {
        let size = FileSlice.marker.count + 4
        if compact { return frame.getInteger(at: position - 1, as: UInt8.self) == UInt8(size + 1) }
        return frame.getInteger(at: position - 4, as: Int32.self) == Int32(size)
    }
}
