import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol
import NIOCore

/// `tributary kafka-console-producer`: Kafka's `kafka-console-producer.sh`, one record per stdin line.
struct ConsoleProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-producer",
        abstract: "Read lines from standard input and produce them to a topic (kafka-console-producer.sh).",
        helpNames: []
    )

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() async throws {
        let inv: ConsoleProducerInvocation
        do {
            inv = try ConsoleProducerInvocation.parse(arguments)
        } catch {
            try exitForStop(error, usage: toolUsage("", ConsoleProducerInvocation.options))
        }
        var config: ProducerConfig
        do {
            config = ProducerConfig(client: try KafkaClientConfig(bootstrap: inv.bootstrapServer, clientId: "console-producer"))
            for key in try config.apply(inv.producerProperties) {
                warn("WARN The configuration '\(key)' was supplied but isn't a known config.")
            }
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
        let reader: ConsoleLineReader
        do {
            reader = try ConsoleLineReader(properties: inv.properties)
        } catch {
            warn("org.apache.kafka.common.KafkaException: \(error)")
            throw ExitCode(1)
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(config: config)
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
        // Kafka prompts with '>' only when both ends are a terminal (System.console() != null).
        let prompt = isatty(0) == 1 && isatty(1) == 1
        var failed = false
        var lineNumber = 0
        // Deliveries not yet checked. Awaited in chunks: that bounds memory on a long input, as the Java
        // producer's buffer.memory does by blocking send.
        var pending: [(Delivery, String)] = []
        if prompt { promptOut() }
        for await line in StdinLines.stream() {
            lineNumber += 1
            let parsed: ConsoleLine
            do {
                parsed = try reader.record(line, lineNumber: lineNumber)
            } catch {
                warn("org.apache.kafka.common.KafkaException: \(error)")
                failed = true
                break
            }
            let record = ProducerRecord(topic: inv.topic, key: parsed.key.map { ByteBuffer(string: $0) },
                                        value: parsed.value.map { ByteBuffer(string: $0) },
                                        headers: parsed.headers.map { RecordHeader(key: $0.key, value: $0.value.map { ByteBuffer(string: $0) }) })
            do {
                let delivery = try await producer.send(record)
                let key = parsed.key.map { "\($0.utf8.count) bytes" } ?? "null"
                pending.append((delivery, "Error when sending message to topic \(inv.topic) with key: \(key), value: \(record.value?.readableBytes ?? -1) bytes with error: "))
                if pending.count >= 10_000 {
                    await Self.report(pending)
                    pending = []
                }
            } catch {
                warn("Error when sending message to topic \(inv.topic): \(error)")
                failed = true
                break
            }
            if prompt { promptOut() }
        }
        await producer.close()
        await Self.report(pending)
        if failed { throw ExitCode(1) }
    }

    /// Waits for the deliveries and prints each failure as Kafka's ErrorLoggingCallback does.
    private static func report(_ deliveries: [(Delivery, String)]) async {
        for (delivery, message) in deliveries {
            do { _ = try await delivery.metadata } catch { warn(message + "\(error)") }
        }
    }

    private func promptOut() {
        _ = ">".withCString { write(1, $0, 1) }
    }
}

/// Ends a tool run for a `Stop`: help on stderr with status 0, usage errors on stderr with status 1.
func exitForStop(_ stop: TopicsInvocation.Stop, usage: String) throws -> Never {
    switch stop {
    case .help(let text):
        warn(text + "\n" + usage)
        throw ExitCode(0)
    case .usage(let text):
        warn(text + "\n" + usage)
    case .invalid(let text):
        warn(text)
    }
    throw ExitCode(1)
}
