import CKafkaCRC
import CZlib
import NIOCore

/// CRC-32C (Castagnoli), the checksum of record batches (magic 2), producer snapshots and more.
public enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return tributary_crc32c(crc, base, bytes.count)
    }

    /// The CRC-32C of `buffer`'s readable bytes, continuing from `crc` (0 to start). Does not copy.
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }

    /// The CRC-32C of `buffer`'s bytes at `index ..< index + length` (independent of the reader index),
    /// or nil when that range is not readable.
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int, continuing crc: UInt32 = 0) -> UInt32? {
        guard index >= buffer.readerIndex, length >= 0, index <= buffer.writerIndex - length else { return nil }
        return buffer.withUnsafeReadableBytes { raw in
            let start = index - buffer.readerIndex
            return checksum(UnsafeRawBufferPointer(rebasing: raw[start ..< start + length]), continuing: crc)
        }
    }

    /// The CRC-32C of a byte sequence held in contiguous storage (arrays, for instance).
    public static func checksum<Bytes: Sequence<UInt8>>(bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: crc) }
    }
}

/// CRC-32 (IEEE, as java.util.zip.CRC32), the checksum of legacy messages (magic 0 and 1).
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return crc }
        var remaining = bytes.count
        var result = UInt(crc)
        // zlib takes a 32-bit length.
        while remaining > 0 {
            let chunk = min(remaining, 1 << 30)
            result = crc32(result, pointer, uInt(chunk))
            pointer += chunk
            remaining -= chunk
        }
        return UInt32(truncatingIfNeeded: result)
    }

    /// The CRC-32 of `buffer`'s readable bytes, continuing from `crc` (0 to start). Does not copy.
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }

    /// The CRC-32 of `buffer`'s bytes at `index ..< index + length` (independent of the reader index),
    /// or nil when that range is not readable.
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int, continuing crc: UInt32 = 0) -> UInt32? {
        guard index >= buffer.readerIndex, length >= 0, index <= buffer.writerIndex - length else { return nil }
        return buffer.withUnsafeReadableBytes { raw in
            let start = index - buffer.readerIndex
            return checksum(UnsafeRawBufferPointer(rebasing: raw[start ..< start + length]), continuing: crc)
        }
    }

    /// The CRC-32 of a byte sequence.
    public static func checksum<Bytes: Sequence<UInt8>>(bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
