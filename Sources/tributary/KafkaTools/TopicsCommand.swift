import ArgumentParser
import KafkaClient

/// `tributary kafka-topics`: Kafka's `kafka-topics.sh` with its flags, output and exit codes.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-topics",
        abstract: "Create, delete, describe, or list topics (kafka-topics.sh).",
        helpNames: []
    )

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() async throws {
        let inv: TopicsInvocation
        do {
            inv = try TopicsInvocation.parse(arguments)
        } catch {
            switch error {
            case .help(let text):
                warn(text + "\n" + TopicsInvocation.usageTable)
                return
            case .usage(let text):
                warn(text + "\n" + TopicsInvocation.usageTable)
            case .invalid(let text):
                warn(text)
            }
            throw ExitCode(1)
        }
        let admin: KafkaAdmin
        do {
            admin = KafkaAdmin(config: try KafkaClientConfig(bootstrap: inv.bootstrapServer, clientId: "adminclient-1"))
        } catch {
            print("Error while executing topic command : \(error)")
            throw ExitCode(1)
        }
        let status = await TopicsRunner(inv: inv, admin: admin).run()
        await admin.close()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Runs one checked `kafka-topics` invocation against a cluster and prints what Kafka prints.
struct TopicsRunner {
    let inv: TopicsInvocation
    let admin: KafkaAdmin

    /// The exit status: 0, or 1 after printing the error as TopicCommand does (a refused argument on stderr, a
    /// failed operation as `Error while executing topic command : ...` on stdout).
    func run() async -> Int32 {
        do {
            switch inv.action {
            case .create: try await create()
            case .list: try await list()
            case .describe: try await describe()
            case .delete: try await delete()
            }
            return 0
        } catch let e as TopicsInvocation.Stop {
            if case .invalid(let text) = e { warn(text) }
            return 1
        } catch let e as KafkaClientError {
            if case .broker(_, let message?, _, _) = e, !message.isEmpty {
                print("Error while executing topic command : \(message)")
            } else {
                print("Error while executing topic command : \(e)")
            }
            return 1
        } catch {
            print("Error while executing topic command : \(error)")
            return 1
        }
    }

    private func create() async throws {
        let name = inv.topic ?? ""
        if name.contains(".") || name.contains("_") {
            print("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
        }
        if let rf = inv.replicationFactor, rf < 1 || rf > Int(Int16.max) {
            throw TopicsInvocation.Stop.invalid("The replication factor must be between 1 and \(Int16.max) inclusive")
        }
        if let p = inv.partitions, p < 1 { throw TopicsInvocation.Stop.invalid("The partitions must be greater than 0") }
        let topic = NewTopic(name: name, numPartitions: Int32(clamping: inv.partitions ?? -1),
                             replicationFactor: Int16(clamping: inv.replicationFactor ?? -1), configs: inv.configs)
        let results = try await admin.createTopics([topic])
        switch results[name] {
        case .success?:
            print("Created topic \(name).")
        case .failure(let e)?:
            if inv.ifNotExists, e.kafkaError == .topicAlreadyExists { return }
            throw e
        case nil:
            throw KafkaClientError.network("the controller did not answer for topic \(name)")
        }
    }

    private func selected() async throws -> [String] {
        let all = try await admin.listTopics(includeInternal: true)
        let names = inv.selectTopics(all.map { ($0.name, $0.isInternal || InternalTopics.names.contains($0.name)) })
        if let t = inv.topic, !t.isEmpty, !inv.ifExists, names.isEmpty {
            throw TopicsInvocation.Stop.invalid("Topic '\(t)' does not exist as expected")
        }
        return names
    }

    private func list() async throws {
        let names = try await selected()
        print(names.joined(separator: "\n"))
    }

    private func describe() async throws {
        let names = try await selected()
        guard !names.isEmpty else { return }
        let topics = try await admin.describeTopics(names)
        let showConfigs = !inv.underReplicatedPartitions
        let configs = showConfigs ? try await admin.describeTopicConfigs(names) : [:]
        for t in topics {
            if showConfigs, !t.partitions.isEmpty { print(TopicsFormat.topicLine(t, configs: configs[t.name] ?? [])) }
            for p in t.partitions where showConfigs || TopicsFormat.isUnderReplicated(p) {
                print(TopicsFormat.partitionLine(topic: t.name, p))
            }
        }
    }

    private func delete() async throws {
        let names = try await selected()
        guard !names.isEmpty else { return }
        let results = try await admin.deleteTopics(names)
        for name in names {
            if case .failure(let e)? = results[name] { throw e }
        }
    }
}
