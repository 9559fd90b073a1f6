import KafkaProtocol
import NIOCore

/// Splices file regions into an encoded response: each `records` field holding a `FileSlice.placeholder` gets its
/// length prefix rewritten for the region and its bytes replaced by the region itself, and the frame's size prefix
/// is corrected. Nothing else in a Kafka response carries the size of an enclosing structure (records are never in
/// a tagged field), so this is the only fix-up needed.
enum ResponseSplicer {
    enum Part {
        case bytes(ByteBuffer)
        case file(FileSlice)
    }

    /// `frame` is the whole encoded frame, size prefix included; `compact` says whether the response version uses
    /// compact (varint) lengths.
    static func splice(_ frame: ByteBuffer, slices: [FileSlice], compact: Bool) -> [Part] {
        let marker = FileSlice.marker
        let placeholderSize = marker.count + 4
        let prefixSize = compact ? 1 : 4  // varint(16 + 1) is one byte; classic lengths are an int32
        var parts: [Part] = []
        var cursor = frame.readerIndex
        var total = frame.readableBytes - 4
        let view = frame.readableBytesView
        var i = view.startIndex
        var found = 0
        while found < slices.count, i + placeholderSize <= view.endIndex {
            guard view[i] == marker[0], view[i..<(i + marker.count)].elementsEqual(marker),
                  let index = frame.getInteger(at: i + marker.count, as: UInt32.self), Int(index) == found
            else {
                i += 1
                continue
            }
            let slice = slices[found]
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
            found += 1
        }
        parts.append(.bytes(frame.getSlice(at: cursor, length: frame.writerIndex - cursor)!))
        if case .bytes(var first) = parts[0] {
            first.setInteger(Int32(total), at: first.readerIndex)
            parts[0] = .bytes(first)
        }
        return parts
    }
}
