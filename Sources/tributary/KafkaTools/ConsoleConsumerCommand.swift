import ArgumentParser
import Foundation
import KafkaClient

/// `tributary kafka-console-consumer`: Kafka's `kafka-console-consumer.sh` on assigned partitions (no group).
struct ConsoleConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-consumer",
        abstract: "Print the records of a topic to standard output (kafka-console-consumer.sh).",
        helpNames: []
    )

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() async throws {
        let inv: ConsoleConsumerInvocation
        do {
            inv = try ConsoleConsumerInvocation.parse(arguments)
        } catch {
            try exitForStop(error, usage: toolUsage("", ConsoleConsumerInvocation.options))
        }
        let formatter = ConsoleRecordFormatter(properties: inv.properties)
        var config: ConsumerConfig
        do {
            config = ConsumerConfig(client: try KafkaClientConfig(bootstrap: inv.bootstrapServer, clientId: "console-consumer"))
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
        if inv.consumerProperties["isolation.level"] == "read_committed" { config.readCommitted = true }
        // The broker holds an empty fetch up to fetch.max.wait.ms; --timeout-ms is checked between fetches.
        if let t = inv.timeoutMs { config.fetchMaxWaitMs = Int32(clamping: max(10, min(500, t / 2))) }
        let consumer = KafkaConsumer(config: config)
        var count = 0
        do {
            if let p = inv.partition {
                await consumer.assign([(TopicPartition(topic: inv.topic, partition: p), inv.start)])
            } else {
                try await consumer.assign(topic: inv.topic, from: inv.start)
            }
            let clock = ContinuousClock()
            var lastRecord = clock.now
            loop: while inv.maxMessages.map({ count < $0 }) ?? true {
                let records = try await consumer.poll()
                for r in records {
                    if let max = inv.maxMessages, count >= max { break loop }
                    writeOut(formatter.format(r))
                    count += 1
                }
                if !records.isEmpty { lastRecord = clock.now }
                if let t = inv.timeoutMs, clock.now - lastRecord >= .milliseconds(t) {
                    warn("ERROR Error processing message, terminating consumer process:  (kafka.tools.ConsoleConsumer$)\norg.apache.kafka.common.errors.TimeoutException")
                    break
                }
            }
        } catch {
            warn("ERROR Error processing message, terminating consumer process:  (kafka.tools.ConsoleConsumer$)\n\(error)")
            await consumer.close()
            warn("Processed a total of \(count) messages")
            throw ExitCode(1)
        }
        await consumer.close()
        warn("Processed a total of \(count) messages")
    }

    private func writeOut(_ text: String) {
        var t = text
        t.withUTF8 { b in
            var off = 0
            while off < b.count {
                let n = write(1, b.baseAddress! + off, b.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
