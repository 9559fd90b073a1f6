import NIOCore

/// CRC-32C (Castagnoli), the checksum of record batches (magic 2), producer snapshots and more.
public enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        fatalError("CRC32C not implemented yet")
    }
}

/// CRC-32 (IEEE, as java.util.zip.CRC32), the checksum of legacy messages (magic 0 and 1).
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        fatalError("CRC32 not implemented yet")
    }
}
