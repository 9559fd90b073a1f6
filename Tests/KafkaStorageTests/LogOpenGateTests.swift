import Dispatch
import KafkaProtocol
import Synchronization
import Testing
@testable import KafkaStorage

/// Partitions open outside the manager's lock (issue 14 item 1): threads asking for one partition at once share one
/// open, and a failed open leaves no gate behind.
@Suite struct LogOpenGateTests {
    private func manager(partitions: Int) throws -> (FaultInjectingFileSystem, LogManager.Configuration) {
        let fs = FaultInjectingFileSystem()
        let configuration = LogManager.Configuration(logDirs: ["/d"])
        let first = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        for p in 0 ..< partitions {
            _ = try first.createLog(TopicPartition("t", Int32(p)), now: 0).withLog { try appendBatch($0, makeBatch(count: 2)) }
        }
        try first.close(brokerEpoch: 1, now: 0)
        return (fs, configuration)
    }

    @Test func concurrentCallersShareOneOpenPerPartition() throws {
        let (fs, configuration) = try manager(partitions: 8)
        let logs = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        let seen = Mutex<[Int32: Set<ObjectIdentifier>]>([:])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let tp = TopicPartition("t", Int32(i % 8))
            do {
                guard let handle = try logs.log(tp, now: 0) else { failures.add(1, ordering: .relaxed); return }
                seen.withLock { _ = $0[tp.partition, default: []].insert(ObjectIdentifier(handle)) }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let handles = seen.withLock { $0 }
        #expect(handles.count == 8)
        #expect(handles.values.allSatisfy { $0.count == 1 }, "a partition was opened twice: \(handles)")
        #expect(logs.openPartitionCount == 8)
        for p in 0 ..< 8 {
            #expect(try logs.log(TopicPartition("t", Int32(p)), now: 0)!.withLog { $0.logEndOffset } == 2)
        }
    }

    @Test func aFailedOpenIsRetriedByTheNextCaller() throws {
        let (fs, configuration) = try manager(partitions: 1)
        let logs = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        // A file the open must read, made unreadable: the open throws and leaves no gate behind.
        let directory = "/d/t-0"
        let segment = directory + "/" + LogFileNames.fileName(0, LogFileNames.logSuffix)
        try fs.rename(segment, to: "/d/saved.log")
        try fs.createDirectory(segment)
        #expect(throws: (any Error).self) { try logs.log(TopicPartition("t", 0), now: 0) }
        try fs.remove(segment)
        try fs.rename("/d/saved.log", to: segment)
        #expect(try logs.log(TopicPartition("t", 0), now: 0)!.withLog { $0.logEndOffset } == 2)
    }
}
