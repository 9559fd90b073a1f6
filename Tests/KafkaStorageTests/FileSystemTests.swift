import NIOCore
import Testing
@testable import KafkaStorage

@Suite struct FileSystemTests {
    func exercise(_ fs: any FileSystem, root: String) throws {
        try fs.createDirectory(root + "/a/b")
        #expect(fs.isDirectory(root + "/a/b"))
        let file = try fs.open(root + "/a/b/f", mode: .create)
        try file.write(ByteBuffer(string: "hello"), at: 0)
        #expect(try file.append(ByteBuffer(string: " world")) == 5)
        #expect(try file.size() == 11)
        #expect(String(buffer: try file.read(at: 6, count: 100)) == "world")
        try file.truncate(to: 5)
        try file.sync()
        #expect(String(buffer: try fs.readFile(root + "/a/b/f")) == "hello")
        try fs.rename(root + "/a/b/f", to: root + "/a/b/g")
        #expect(try fs.listDirectory(root + "/a/b") == ["g"])
        #expect(try fs.fileSize(root + "/a/b/g") == 5)
        try fs.writeAtomically(root + "/a/c", text: "x")
        #expect(try fs.readText(root + "/a/c") == "x")
        #expect(!fs.exists(root + "/a/c.tmp"))
        #expect(throws: StorageError.self) { try fs.open(root + "/missing", mode: .readOnly) }
        try fs.removeRecursively(root + "/a")
        #expect(!fs.exists(root + "/a"))
    }

    @Test func posixBasics() throws {
        let root = temporaryDirectory()
        try exercise(PosixFileSystem(), root: root)
        try PosixFileSystem().removeRecursively(root)
    }

    @Test func memoryBasics() throws {
        try exercise(FaultInjectingFileSystem(), root: "/r")
    }

    @Test func crashLosesUnsyncedWritesAndNames() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let file = try fs.open("/d/f", mode: .create)
        try file.write(ByteBuffer(string: "durable"), at: 0)
        try file.sync()
        try fs.syncDirectory("/d")
        try file.write(ByteBuffer(string: "-lost"), at: 7)
        _ = try fs.open("/d/new", mode: .create)  // never made durable by a directory sync
        fs.crash()
        #expect(String(buffer: try fs.readFile("/d/f")) == "durable")
        #expect(!fs.exists("/d/new"))
        #expect(throws: StorageError.self) { try file.size() }  // stale handle
    }

    @Test func tornWriteKeepsAPrefix() throws {
        for seed in UInt64(1) ... 20 {
            let fs = FaultInjectingFileSystem()
            try fs.createDirectory("/d")
            let file = try fs.open("/d/f", mode: .create)
            try fs.syncDirectory("/d")
            try file.write(ByteBuffer(string: "abc"), at: 0)
            try file.sync()
            try file.write(ByteBuffer(string: "0123456789"), at: 3)
            fs.crash(.tearLastWrite(seed: seed))
            let text = String(buffer: try fs.readFile("/d/f"))
            #expect(text.hasPrefix("abc") && "abc0123456789".hasPrefix(text) && text.count < 13)
        }
    }

    @Test func failedFsyncMakesNothingDurable() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let file = try fs.open("/d/f", mode: .create)
        try fs.syncDirectory("/d")
        try file.write(ByteBuffer(string: "x"), at: 0)
        fs.failNextFsync()
        #expect(throws: StorageError.system(operation: "fsync", path: "/d/f", errno: 5)) { try file.sync() }
        fs.crash()
        #expect(try fs.readFile("/d/f").readableBytes == 0)
    }

    @Test func diskFullWritesWhatFitsThenFails() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let file = try fs.open("/d/f", mode: .create)
        fs.diskFull(afterBytes: 4)
        #expect { try file.write(ByteBuffer(string: "abcdef"), at: 0) } throws: { ($0 as? StorageError)?.isNoSpace == true }
        #expect(String(buffer: try fs.readFile("/d/f")) == "abcd")
    }
}
