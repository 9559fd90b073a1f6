import Testing
@testable import KafkaStorage

/// Kafka's `.lock`: one holder per directory, released on `release()` (and by the kernel when a process dies; the
/// two-process case is in tests/interop/test_node_lifecycle.py).
@Suite struct DirectoryLockTests {
    @Test func secondAcquireOfAHeldDirectoryFailsNamingIt() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        let first = try DirectoryLocks.acquire([a, b, a])
        #expect(first.directories == [a, b])
        do {
            _ = try DirectoryLocks.acquire([temporaryDirectory(), b])
            Issue.record("a held directory was locked twice")
        } catch let error as DirectoryLockError {
            #expect(error.directory == b)
            #expect(error.reason == nil)
            #expect(error.description == "Failed to acquire lock on file .lock in \(b). A Kafka instance in another process or thread is using this directory.")
        }
        first.release()
        let again = try DirectoryLocks.acquire([a, b])
        again.release()
    }

    @Test func aFailedAcquireLeavesNothingLocked() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        let holder = try DirectoryLocks.acquire([b])
        #expect(throws: DirectoryLockError.self) { try DirectoryLocks.acquire([a, b]) }
        // `a` was locked then given back when `b` failed.
        let onlyA = try DirectoryLocks.acquire([a])
        onlyA.release()
        holder.release()
    }

    @Test func aMissingDirectoryIsCreated() throws {
        let dir = temporaryDirectory() + "/fresh"
        let locks = try DirectoryLocks.acquire([dir])
        #expect(PosixFileSystem().isDirectory(dir))
        #expect(PosixFileSystem().exists(dir + "/" + DirectoryLocks.fileName))
        locks.release()
    }
}
