import ArgumentParser
import Foundation
import KafkaRaft
import KafkaServer
import Logging
import NIOCore
import NIOPosix

/// `tributary debug raft-node`: one standalone KRaft node (`RaftNodeServer`) for multi-process tests. While it
/// leads it appends a counter record every `--interval-ms`; it prints one line per event on stdout:
///
///     LEADER <epoch>                    this node became the leader
///     LEADER-CHANGE <leader|-> <epoch>  the known leader changed
///     ACK <offset> <value>              an append of this node committed
///     STATE <applied> <count> <digest>  every 500 ms: applied offset, records applied, FNV-1a of them in order
///
/// SIGTERM or SIGINT: a graceful stop (a leader resigns). `kill -9` is the crash.
struct RaftNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft-node",
        abstract: "Run one KRaft node; append a counter record every interval while leader.")

    @Option(help: "node.id") var id: Int32
    @Option(help: "controller.quorum.voters, e.g. 1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093") var voters: String
    @Option(help: "metadata.log.dir") var dir: String
    @Option(help: "Cluster id (all nodes the same).") var clusterId = "TributaryRaftNode00000"
    @Option(help: "Milliseconds between counter appends while leader.") var intervalMs: Int64 = 100
    @Option(help: "metadata.log.max.record.bytes.between.snapshots") var snapshotBytes: Int = 20_971_520
    @Option(help: "Seed of the election jitter (default: random, printed).") var seed: UInt64?

    func run() async throws {
        let termination = TerminationSignals.install()
        let voters = try QuorumVotersParser.parse(self.voters)
        let seed = self.seed ?? UInt64.random(in: 0..<1_000_000)
        var raft = RaftConfig(nodeId: id, voters: voters, clusterId: clusterId)
        raft.maxBytesBetweenSnapshots = snapshotBytes
        let config = RaftDriverConfig(raft: raft, metadataLogDir: dir, seed: seed)
        var logger = Logger(label: "raft-node-\(id)")
        logger.logLevel = .warning
        OpenFileLimit.raiseSoftToHard(logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RaftNodeServer.start(config: config, stateMachine: CounterLog(), group: group, logger: logger)
        let driver = server.driver
        Self.say("START \(id) seed \(seed)")
        let events = Task {
            for await event in driver.events {
                switch event {
                case .becameLeader(let epoch): Self.say("LEADER \(epoch)")
                case .leaderChanged(let l): Self.say("LEADER-CHANGE \(l.leaderId.map(String.init) ?? "-") \(l.epoch)")
                case .stopped(let reason): Self.say("STOPPED \(reason)")
                default: break
                }
            }
        }
        let interval = intervalMs
        let nodeId = id
        let appender = Task {
            var n: Int64 = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(interval))
                guard await driver.isLeader else { continue }
                n += 1
                let value = "\(nodeId)-\(n)"
                // Not awaited in line: appends keep their interval while earlier ones commit.
                Task {
                    if let offset = try? await driver.append([ByteBuffer(string: value)]) { Self.say("ACK \(offset) \(value)") }
                }
            }
        }
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                let state = await driver.state as? CounterLog
                Self.say("STATE \(await driver.applied) \(state?.count ?? -1) \(state?.digest ?? 0)")
            }
        }
        await termination.wait()
        appender.cancel()
        reporter.cancel()
        await server.shutdown()
        events.cancel()
        try? await group.shutdownGracefully()
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// The debug node's state machine: how many records were applied and an FNV-1a digest of them in order, so that
/// nodes that applied the same prefix print the same pair. Its snapshot is one record, `count digest`.
struct CounterLog: RaftStateMachine {
    var count: Int64 = 0
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func apply(baseOffset: Int64, records: [ByteBuffer]) {
        for record in records {
            for byte in record.readableBytesView { digest = (digest ^ UInt64(byte)) &* 0x0100_0000_01b3 }
            digest = (digest ^ 0x0a) &* 0x0100_0000_01b3
            count += 1
        }
    }

    func snapshotRecords() -> [ByteBuffer] { [ByteBuffer(string: "\(count) \(digest)")] }

    mutating func load(snapshot id: SnapshotId, records: [ByteBuffer]) {
        let parts = records.first.map { String(buffer: $0).split(separator: " ") } ?? []
        count = parts.count == 2 ? Int64(parts[0]) ?? 0 : 0
        digest = parts.count == 2 ? UInt64(parts[1]) ?? 0 : 0xcbf2_9ce4_8422_2325
    }
}
