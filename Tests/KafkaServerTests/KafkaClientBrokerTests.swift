import KafkaClient
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing

/// KafkaClient against an in-process broker: admin, the idempotent producer and the consumer end to end.
@Suite(.serialized) struct KafkaClientBrokerTests {
    @Test func adminProducerConsumerRoundTrip() async throws {
        // The client connects to the address Metadata advertises, so the broker must advertise its real port.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress?.port ?? 0
        try await probe.close()
        let broker = try await TestBroker.start(overrides: [
            "listeners=PLAINTEXT://127.0.0.1:\(port),CONTROLLER://127.0.0.1:0", "advertised.listeners=PLAINTEXT://127.0.0.1:\(port)",
        ])
        let client = try KafkaClientConfig(bootstrap: "127.0.0.1:\(broker.port)")
        let admin = KafkaAdmin(config: client)
        do {
            let created = try await admin.createTopics([NewTopic(name: "orders", numPartitions: 3, replicationFactor: 1,
                                                                 configs: ["retention.ms": "123456"])])
            let topic = try #require(try created["orders"]?.get())
            #expect(topic.numPartitions == 3)
            let again = try await admin.createTopics([NewTopic(name: "orders", numPartitions: 3)])
            if case .failure(let exists)? = again["orders"] {
                #expect(exists.kafkaError == .topicAlreadyExists)
            } else {
                Issue.record("second create of orders did not fail: \(String(describing: again["orders"]))")
            }

            let described = try await admin.describeTopics(["orders"])
            #expect(described.first?.partitions.map(\.partition) == [0, 1, 2])
            #expect(described.first?.partitions.allSatisfy { $0.leader >= 0 && $0.isr == $0.replicas } == true)
            let configs = try await admin.describeTopicConfigs(["orders"])
            let retention = configs["orders"]?.first { $0.name == "retention.ms" }
            #expect(retention?.value == "123456" && retention?.source == .dynamicTopicConfig)

            var pc = ProducerConfig(client: client)
            pc.compression = .gzip
            pc.lingerMs = 2
            let producer = try KafkaProducer(config: pc)
            var deliveries: [(String, Delivery)] = []
            for i in 0..<60 {
                let key = "key-\(i % 12)"
                deliveries.append((key, try await producer.send(ProducerRecord(topic: "orders", key: key, value: "v\(i)"))))
            }
            await producer.close()
            var offsets: [Int32: [Int64]] = [:]
            for (key, d) in deliveries {
                let m = try await d.metadata
                #expect(m.partition == Partitioner.partition(key: Array(key.utf8), partitionCount: 3), "\(key)")
                offsets[m.partition, default: []].append(m.offset)
            }
            // Per partition the offsets are 0, 1, 2, ...: sent in order, each record once.
            for (_, o) in offsets { #expect(o == Array(0..<Int64(o.count))) }

            let consumer = KafkaConsumer(config: ConsumerConfig(client: client))
            try await consumer.assign(topic: "orders", from: .earliest)
            var seen: [ConsumerRecord] = []
            for _ in 0..<50 where seen.count < 60 { seen += try await consumer.poll() }
            await consumer.close()
            #expect(seen.count == 60)
            #expect(Set(seen.map { String(buffer: $0.value!) }) == Set((0..<60).map { "v\($0)" }))

            let deleted = try await admin.deleteTopics(["orders"])
            #expect((try? deleted["orders"]?.get()) != nil)
            #expect(try await admin.listTopics().contains { $0.name == "orders" } == false)
        } catch {
            await admin.close()
            await broker.stop()
            throw error
        }
        await admin.close()
        await broker.stop()
    }
}
