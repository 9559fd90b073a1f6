#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
@testable import KafkaStorage
import NIOCore

/// Builds one batch of `count` records with values of `valueSize` bytes and timestamps from `timestamp` on.
func makeBatch(
    count: Int = 1, timestamp: Int64 = 1_000, valueSize: Int = 10, producerId: Int64 = -1, producerEpoch: Int16 = -1,
    baseSequence: Int32 = -1, transactional: Bool = false, compression: CompressionCodec = .none
) -> ByteBuffer {
    var builder = RecordBatchBuilder(compression: compression, producerId: producerId, producerEpoch: producerEpoch,
                                     baseSequence: baseSequence, isTransactional: transactional)
    for i in 0 ..< count {
        let value = ByteBuffer(repeating: UInt8(truncatingIfNeeded: i), count: valueSize)
        try! builder.append(timestamp: timestamp + Int64(i), key: ByteBuffer(string: "k\(i)"), value: value)
    }
    return try! builder.build()
}

/// A COMMIT or ABORT marker batch.
func makeMarker(commit: Bool, producerId: Int64, producerEpoch: Int16 = 0, timestamp: Int64 = 5_000) -> ByteBuffer {
    try! RecordBatchBuilder.endTransactionMarker(
        EndTransactionMarker(commit: commit, coordinatorEpoch: 3), producerId: producerId,
        producerEpoch: producerEpoch, timestamp: timestamp)
}

/// Appends a batch as leader and returns the append info.
@discardableResult
func appendBatch(_ log: PartitionLog, _ batch: ByteBuffer, epoch: Int32 = 0, now: Int64 = 0) throws -> LogAppendInfo {
    var records = batch
    return try log.append(&records, origin: .leader(epoch: epoch), now: now)
}

/// Splits a region's bytes into batches.
func batches(in region: LogReadRegion?) throws -> [RecordBatch] {
    guard let region else { return [] }
    return try RecordBatchIterator.split(try region.bytes()).batches
}

/// Reads every batch of the log from the log start.
func readAll(_ log: PartitionLog) throws -> [RecordBatch] {
    var result: [RecordBatch] = []
    var offset = log.logStartOffset
    while offset < log.logEndOffset {
        let read = try log.read(from: offset, maxBytes: 1 << 20)
        let found = try batches(in: read.region)
        guard let last = found.last else { break }
        result += found.filter { $0.header.lastOffset >= offset }
        offset = last.header.nextOffset
    }
    return result
}

/// An in-memory file system with a log directory.
func memoryLog(config: LogConfig = LogConfig(), fs: FaultInjectingFileSystem = FaultInjectingFileSystem(),
               directory: String = "/data/t-0", clean: Bool = false,
               checkpoints: PartitionLog.Checkpoints = .init()) throws -> (FaultInjectingFileSystem, PartitionLog) {
    try fs.createDirectory(FilePath.parent(of: directory))
    let cache = FileHandleCache(fileSystem: fs, maxOpenFiles: 16)
    let log = try PartitionLog.open(directory: directory, topicPartition: TopicPartition("t", 0), config: config,
                                    cache: cache, checkpoints: checkpoints, cleanShutdown: clean, now: 0)
    return (fs, log)
}

/// Reopens a log directory on `fs` (a fresh cache, as after a restart).
func reopen(_ fs: any FileSystem, directory: String = "/data/t-0", config: LogConfig = LogConfig(), clean: Bool = false,
            checkpoints: PartitionLog.Checkpoints = .init()) throws -> PartitionLog {
    try PartitionLog.open(directory: directory, topicPartition: TopicPartition("t", 0), config: config,
                          cache: FileHandleCache(fileSystem: fs, maxOpenFiles: 16), checkpoints: checkpoints,
                          cleanShutdown: clean, now: 0)
}

/// A fresh temporary directory on the real file system.
func temporaryDirectory() -> String {
    var template = Array("/tmp/tributary-storage-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!
    return String(cString: path)
}

/// The repository's shared capture of a Kafka 3.7.1 log directory.
func kafkaCaptureDirectory(file: String = #filePath) -> String {
    // Tests/KafkaStorageTests/<file> → repo root → ../shared/kafka-captures/log-segments
    var root = FilePath.parent(of: FilePath.parent(of: FilePath.parent(of: file)))
    root = FilePath.parent(of: root)
    return root + "/shared/kafka-captures/log-segments"
}

/// Copies a directory tree between file systems.
func copyTree(from source: String, on sourceFS: any FileSystem, to destination: String, on destinationFS: any FileSystem) throws {
    try destinationFS.createDirectory(destination)
    for name in try sourceFS.listDirectory(source) {
        let from = source + "/" + name
        let to = destination + "/" + name
        if sourceFS.isDirectory(from) {
            try copyTree(from: from, on: sourceFS, to: to, on: destinationFS)
        } else {
            let file = try destinationFS.open(to, mode: .truncate)
            try file.write(try sourceFS.readFile(from), at: 0)
        }
    }
}
