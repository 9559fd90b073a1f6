import Foundation
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import Logging
import NIOCore
import NIOPosix

/// A state machine that keeps every data record's value, in order (snapshots hold them all).
struct RecordingMachine: RaftStateMachine {
    var values: [String] = []

    mutating func apply(baseOffset: Int64, records: [ByteBuffer]) {
        values += records.map { String(buffer: $0) }
    }

    func snapshotRecords() -> [ByteBuffer] { values.map { ByteBuffer(string: $0) } }

    mutating func load(snapshot id: SnapshotId, records: [ByteBuffer]) {
        values = records.map { String(buffer: $0) }
    }
}

/// Waits for `condition` (polled every 20 ms) up to `seconds`; returns the time it took, nil on timeout.
func waitFor(_ what: String, seconds: Double = 60, _ condition: () async -> Bool) async -> Duration? {
    let start = ContinuousClock.now
    let deadline = start + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() {
            let took = start.duration(to: .now)
            print("[raft-driver-test] \(what): \(took)")
            return took
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
    print("[raft-driver-test] \(what): not within \(seconds) s")
    return nil
}

/// Three (or more) raft nodes in this process, on loopback ports, each with a temporary metadata.log.dir.
final class RaftTestCluster: @unchecked Sendable {
    let ids: [Int32]
    let voters: [KafkaRaft.QuorumVoter]
    let root: String
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let seed: UInt64
    var servers: [Int32: RaftNodeServer] = [:]
    var observers: [Int32: RaftNodeServer] = [:]
    var tune: (inout RaftDriverConfig) -> Void = { _ in }
    static let clusterId = "TributaryRaftTest01234"

    init(count: Int = 3, seed: UInt64 = UInt64.random(in: 0..<1_000_000)) async throws {
        self.seed = seed
        print("[raft-driver-test] seed \(seed)")
        ids = (1...count).map { Int32($0) }
        var voters: [KafkaRaft.QuorumVoter] = []
        for id in ids { voters.append(KafkaRaft.QuorumVoter(id: id, host: "127.0.0.1", port: try await Self.freePort(group: group))) }
        self.voters = voters
        root = NSTemporaryDirectory() + "raft-driver-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// A port free at the time of asking (bound on 0, then released).
    static func freePort(group: any EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    func dir(_ id: Int32) -> String { "\(root)/node-\(id)" }

    func config(_ id: Int32) -> RaftDriverConfig {
        var c = RaftDriverConfig(raft: RaftConfig(nodeId: id, voters: voters, clusterId: Self.clusterId),
                                 metadataLogDir: dir(id), seed: seed &+ UInt64(id))
        tune(&c)
        return c
    }

    /// Starts an observer: a node outside the voter set (a broker's role) that only fetches.
    func startObserver(_ id: Int32) async throws {
        var config = self.config(id)
        config.listenPort = try await Self.freePort(group: group)
        var logger = Logger(label: "raft-\(id)")
        logger.logLevel = .warning
        observers[id] = try await RaftNodeServer.start(config: config, stateMachine: RecordingMachine(), group: group, logger: logger)
    }

    func start(_ id: Int32) async throws {
        var logger = Logger(label: "raft-\(id)")
        logger.logLevel = .warning
        servers[id] = try await RaftNodeServer.start(config: config(id), stateMachine: RecordingMachine(), group: group, logger: logger)
    }

    func startAll() async throws { for id in ids { try await start(id) } }

    func driver(_ id: Int32) -> RaftDriver? { servers[id]?.driver }

    var running: [RaftDriver] { ids.compactMap { servers[$0]?.driver } }

    /// The running leader that every running node follows, if there is one.
    func agreedLeader() async -> RaftDriver? {
        var leader: RaftDriver?
        var epoch: Int32?
        for d in running {
            let l = await d.leaderAndEpoch
            guard let id = l.leaderId, epoch == nil || epoch == l.epoch else { return nil }
            epoch = l.epoch
            if id == d.nodeId { leader = d }
            if servers[id] == nil { return nil }
        }
        if let leader, await leader.isLeader { return leader }
        return nil
    }

    func values(_ d: RaftDriver) async -> [String] { (await d.state as? RecordingMachine)?.values ?? [] }

    /// Appends `count` records (one per append, `prefix-i`), many at once, retrying on another leader.
    func append(_ count: Int, prefix: String) async throws -> Int64 {
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<count {
                group.addTask { try await self.appendRetrying("\(prefix)-\(i)") }
            }
            var last: Int64 = -1
            for try await offset in group { last = max(last, offset) }
            return last
        }
    }

    func appendRetrying(_ value: String) async throws -> Int64 {
        for _ in 0..<200 {
            if let leader = await agreedLeader() {
                do { return try await leader.append([ByteBuffer(string: value)]) } catch RaftDriverError.notLeader {}
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RaftDriverError.stopped
    }

    func stop(_ id: Int32, crash: Bool) async {
        guard let server = servers.removeValue(forKey: id) else { return }
        if crash { await server.crash() } else { await server.shutdown() }
    }

    /// Runs `body` with a fresh cluster and shuts it down afterwards, also when `body` throws.
    static func run(seed: UInt64, tune: @escaping (inout RaftDriverConfig) -> Void = { _ in },
                    _ body: (RaftTestCluster) async throws -> Void) async throws {
        let cluster = try await RaftTestCluster(seed: seed)
        cluster.tune = tune
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    /// Tears the cluster down (as crashes: a graceful stop of the last leader would wait for a successor).
    func shutdown() async {
        for id in ids { await stop(id, crash: true) }
        for server in observers.values { await server.crash() }
        observers = [:]
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
    }
}
