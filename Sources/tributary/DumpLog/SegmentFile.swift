import KafkaProtocol
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One entry of a `.log` file: a magic-2 batch, or a legacy (magic 0/1) message as a shallow entry.
enum SegmentEntry {
    case batch(RecordBatch)
    case legacy(LegacyMessage)

    var sizeInBytes: Int {
        switch self {
        case .batch(let b): return b.sizeInBytes
        case .legacy(let m): return m.sizeInBytes
        }
    }

    /// The last offset the entry covers; a legacy wrapper carries its last inner offset.
    var lastOffset: Int64 {
        switch self {
        case .batch(let b): return b.header.lastOffset
        case .legacy(let m): return m.offset
        }
    }
}

/// How a scan of a `.log` file ended.
struct SegmentScanEnd {
    /// Bytes after the last complete entry, within the scanned limit.
    var trailingBytes: Int64
    /// Set when an entry could not be framed (a size below the minimum, an unknown magic); scanning stops there.
    var corruption: (position: Int64, reason: String)?
}

/// An open segment file read with `pread`, so that a 1 GiB segment is never held in memory at once.
final class SegmentFile {
    let path: String
    let size: Int64
    private let fd: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DumpLogError.unreadable(path, String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DumpLogError.unreadable(path, reason)
        }
        self.fd = fd
        self.path = path
        self.size = Int64(st.st_size)
    }

    deinit { close(fd) }

    /// Up to `length` bytes at `position` appended to `buffer` (fewer at the end of the file).
    func read(at position: Int64, length: Int, into buffer: inout ByteBuffer) throws {
        var done = 0
        buffer.reserveCapacity(minimumWritableBytes: length)
        while done < length {
            var n = 0
            // The closure must not report a negative count to ByteBuffer, so the error is checked after it.
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { ptr in
                n = pread(fd, ptr.baseAddress, min(ptr.count, length - done), off_t(position + Int64(done)))
                return max(0, n)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw DumpLogError.unreadable(path, String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
    }

    func read(at position: Int64, length: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try read(at: position, length: length, into: &buffer)
        return buffer
    }

    /// The entry starting at `position`, or nil when the file holds no complete entry there.
    func entry(at position: Int64) throws -> SegmentEntry? {
        let head = try read(at: position, length: 17)
        guard head.readableBytes == 17, let size = head.getInteger(at: 8, as: Int32.self), size >= 14 else { return nil }
        let bytes = try read(at: position, length: 12 + Int(size))
        guard bytes.readableBytes == 12 + Int(size) else { return nil }
        return try Self.frame(bytes)
    }

    /// Calls `body` with each entry and its byte position, reading `window` bytes at a time and carrying an entry
    /// cut by the window's end over into the next read.
    func forEachEntry(
        limit: Int64, window: Int = 8 << 20, _ body: (Int64, SegmentEntry) throws -> Void
    ) throws -> SegmentScanEnd {
        let end = min(limit, size)
        var buffer = ByteBuffer()
        var bufferStart: Int64 = 0 // file position of buffer's first readable byte
        var nextRead: Int64 = 0
        while true {
            let available = buffer.readableBytes
            // Bytes needed for the next entry: up to its magic byte first, then all of it.
            var needed = 17
            if available >= 17 {
                let size = buffer.getInteger(at: buffer.readerIndex + 8, as: Int32.self)!
                guard size >= LegacyMessage.minimumMessageSizeV0 else {
                    return SegmentScanEnd(trailingBytes: end - bufferStart, corruption: (bufferStart, "entry size \(size) is below the minimum"))
                }
                needed = 12 + Int(size)
            }
            if available >= needed {
                let slice = buffer.readSlice(length: needed)!
                let entry: SegmentEntry
                do { entry = try Self.frame(slice) } catch {
                    return SegmentScanEnd(trailingBytes: end - bufferStart, corruption: (bufferStart, "\(error)"))
                }
                try body(bufferStart, entry)
                bufferStart += Int64(needed)
                continue
            }
            // An entry claiming more than the rest of the file is a truncated tail: don't read it all to find out.
            if nextRead >= end || Int64(needed) > end - bufferStart {
                return SegmentScanEnd(trailingBytes: end - bufferStart, corruption: nil)
            }
            let want = Int(min(end - nextRead, Int64(max(window, needed - available))))
            var fresh = ByteBuffer()
            fresh.reserveCapacity(available + want)
            fresh.writeImmutableBuffer(buffer)
            try read(at: nextRead, length: want, into: &fresh)
            guard fresh.readableBytes > available else { return SegmentScanEnd(trailingBytes: Int64(available), corruption: nil) }
            nextRead += Int64(fresh.readableBytes - available)
            buffer = fresh
        }
    }

    /// A complete entry, by its magic byte.
    static func frame(_ bytes: ByteBuffer) throws -> SegmentEntry {
        let magic = RecordBatchIterator.detectMagic(bytes) ?? -1
        switch magic {
        case 2: return .batch(try RecordBatch(bytes))
        case 0, 1: return .legacy(try LegacyMessage(bytes))
        default: throw DumpLogError.corrupt("unknown magic \(magic)")
        }
    }
}

enum DumpLogError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case corrupt(String)

    var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .corrupt(let reason): return reason
        }
    }
}
