import NIOPosix
import Synchronization

/// The thread that does a raft node's file I/O: `RaftLogStore` is synchronous and blocking, so it runs on a
/// one-thread `NIOThreadPool` of its own, never on Swift's cooperative pool or an event loop. One thread also
/// keeps the store's operations in the order they were asked for.
final class RaftDisk: Sendable {
    private let store: Mutex<RaftLogStore?>
    private let pool: NIOThreadPool

    private init(store: sending RaftLogStore, pool: NIOThreadPool) {
        self.store = Mutex(store)
        self.pool = pool
    }

    /// Opens the store on a new disk thread and reads what it holds.
    static func open(_ make: @escaping @Sendable () throws -> RaftLogStore) async throws -> OpenedRaftDisk {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        do {
            return try await pool.runIfActive {
                let store = try make()
                let restored = try store.restore()
                return OpenedRaftDisk(disk: RaftDisk(store: store, pool: pool), restored: restored)
            }
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    /// Runs `body` with the store on the disk thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (RaftLogStore) throws -> T) async throws -> T {
        try await pool.runIfActive {
            try self.store.withLock { store -> T in
                guard let store else { throw RaftDriverError.stopped }
                return try body(store)
            }
        }
    }

    /// Closes the store (cleanly when `clean`: indexes written and fsynced) and stops the thread.
    func close(clean: Bool) async {
        if clean { _ = try? await run { try $0.close() } }
        _ = try? await pool.runIfActive { self.store.withLock { $0 = nil } }
        try? await pool.shutdownGracefully()
    }
}

/// A store opened on its disk thread, with what it restored.
struct OpenedRaftDisk: Sendable {
    let disk: RaftDisk
    let restored: RaftRestoredState
}
