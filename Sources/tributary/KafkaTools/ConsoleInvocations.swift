import KafkaClient

/// `kafka-console-producer.sh`'s command line (Kafka 3.7's ConsoleProducer options).
struct ConsoleProducerInvocation: Equatable, Sendable {
    var bootstrapServer: String
    var topic: String
    var properties: [String: String] = [:]
    var producerProperties: [String: String] = [:]

    static let options: [ToolOption] = [
        ToolOption(name: "batch-size", takesValue: true, help: "Number of messages to send in a single batch if they are not being sent synchronously.", valueName: "Integer: size"),
        ToolOption(name: "bootstrap-server", takesValue: true, help: "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.", valueName: "String: server to connect to"),
        ToolOption(name: "broker-list", takesValue: true, help: "DEPRECATED, use --bootstrap-server instead.", valueName: "String: broker-list"),
        ToolOption(name: "compression-codec", takesValue: true, help: "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, then it defaults to 'gzip'", valueName: "String: compression-codec", defaultWhenBare: "gzip"),
        ToolOption(name: "help", takesValue: false, help: "Print usage information."),
        ToolOption(name: "property", takesValue: true, help: "A mechanism to pass user-defined properties in the form key=value to the message reader (parse.key, key.separator, ignore.error, null.marker).", valueName: "String: prop"),
        ToolOption(name: "producer-property", takesValue: true, help: "A mechanism to pass user-defined properties in the form key=value to the producer.", valueName: "String: producer_prop"),
        ToolOption(name: "request-required-acks", takesValue: true, help: "The required `acks` of the producer requests (default: -1)", valueName: "String: request required acks"),
        ToolOption(name: "request-timeout-ms", takesValue: true, help: "The ack timeout of the producer requests. Value must be non-negative and non-zero. (default: 1500)", valueName: "Integer: request timeout ms"),
        ToolOption(name: "sync", takesValue: false, help: "If set message send requests to the brokers are synchronously, one at a time as they arrive."),
        ToolOption(name: "timeout", takesValue: true, help: "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. (default: 1000)", valueName: "Long: timeout_ms"),
        ToolOption(name: "topic", takesValue: true, help: "REQUIRED: The topic id to produce messages to.", valueName: "String: topic"),
        ToolOption(name: "version", takesValue: false, help: "Display Kafka version."),
    ]

    /// Parses `args`; `Stop` as for kafka-topics.
    static func parse(_ args: [String]) throws(TopicsInvocation.Stop) -> ConsoleProducerInvocation {
        let a: ToolArguments
        do { a = try ToolArguments(args, options: options) } catch { throw .invalid("\(error)") }
        if a.has("help") || args.isEmpty { throw .help("This tool helps to read data from standard input and publish it to Kafka.") }
        guard let topic = a.value("topic") else { throw .usage("Missing required argument \"[topic]\"") }
        guard let bootstrap = a.value("bootstrap-server") ?? a.value("broker-list") else {
            throw .usage("Missing required argument \"[bootstrap-server]\"")
        }
        var inv = ConsoleProducerInvocation(bootstrapServer: bootstrap, topic: topic)
        do {
            inv.properties = try a.properties("property")
            // The console producer's own defaults, then its flags, then --producer-property over all of them.
            var p: [String: String] = ["acks": a.value("request-required-acks") ?? "-1",
                                       "linger.ms": a.value("timeout") ?? "1000",
                                       "request.timeout.ms": a.value("request-timeout-ms") ?? "1500"]
            if let c = a.value("compression-codec") { p["compression.type"] = c }
            if a.has("sync") { p["linger.ms"] = "0" }
            for (k, v) in try a.properties("producer-property") { p[k] = v }
            inv.producerProperties = p
        } catch { throw .invalid("\(error)") }
        return inv
    }
}

/// `kafka-console-consumer.sh`'s command line (Kafka 3.7's ConsoleConsumer options).
struct ConsoleConsumerInvocation: Equatable, Sendable {
    var bootstrapServer: String
    var topic: String
    var partition: Int32?
    var start: OffsetSpec = .latest
    var maxMessages: Int?
    var timeoutMs: Int?
    var properties: [String: String] = [:]
    var consumerProperties: [String: String] = [:]

    static let options: [ToolOption] = [
        ToolOption(name: "bootstrap-server", takesValue: true, help: "REQUIRED: The server(s) to connect to.", valueName: "String: server to connect to"),
        ToolOption(name: "consumer-property", takesValue: true, help: "A mechanism to pass user-defined properties in the form key=value to the consumer.", valueName: "String: consumer_prop"),
        ToolOption(name: "from-beginning", takesValue: false, help: "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message."),
        ToolOption(name: "help", takesValue: false, help: "Print usage information."),
        ToolOption(name: "max-messages", takesValue: true, help: "The maximum number of messages to consume before exiting. If not set, consumption is continual.", valueName: "Integer: num_messages"),
        ToolOption(name: "offset", takesValue: true, help: "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end (default: latest)", valueName: "String: consume offset"),
        ToolOption(name: "partition", takesValue: true, help: "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.", valueName: "Integer: partition"),
        ToolOption(name: "property", takesValue: true, help: "The properties to initialize the message formatter (print.timestamp, print.key, print.offset, print.partition, print.headers, print.value, key.separator, line.separator, headers.separator, null.literal).", valueName: "String: prop"),
        ToolOption(name: "timeout-ms", takesValue: true, help: "If specified, exit if no message is available for consumption for the specified interval.", valueName: "Integer: timeout_ms"),
        ToolOption(name: "topic", takesValue: true, help: "The topic to consume on.", valueName: "String: topic"),
        ToolOption(name: "version", takesValue: false, help: "Display Kafka version."),
    ]

    static func parse(_ args: [String]) throws(TopicsInvocation.Stop) -> ConsoleConsumerInvocation {
        let a: ToolArguments
        do { a = try ToolArguments(args, options: options) } catch { throw .invalid("\(error)") }
        if a.has("help") || args.isEmpty { throw .help("This tool helps to read data from Kafka topics and outputs it to standard output.") }
        guard let bootstrap = a.value("bootstrap-server") else { throw .usage("Missing required argument \"[bootstrap-server]\"") }
        guard let topic = a.value("topic") else { throw .usage("Exactly one of include/topic is required.") }
        var inv = ConsoleConsumerInvocation(bootstrapServer: bootstrap, topic: topic)
        do {
            inv.partition = try a.int("partition").map { Int32(clamping: $0) }
            inv.maxMessages = try a.int("max-messages")
            inv.timeoutMs = try a.int("timeout-ms")
            inv.properties = try a.properties("property")
            inv.consumerProperties = try a.properties("consumer-property")
        } catch { throw .invalid("\(error)") }
        if a.has("from-beginning"), a.has("offset") { throw .usage("Options from-beginning and offset cannot be specified together.") }
        if a.has("offset"), inv.partition == nil { throw .usage("The partition is required when offset is specified.") }
        if a.has("from-beginning") { inv.start = .earliest }
        if let o = a.value("offset") {
            switch o.lowercased() {
            case "earliest": inv.start = .earliest
            case "latest": inv.start = .latest
            default:
                guard let n = Int64(o), n >= 0 else {
                    throw .usage("The provided offset value '\(o)' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.")
                }
                inv.start = .offset(n)
            }
        }
        if inv.consumerProperties["auto.offset.reset"] == "earliest", !a.has("offset") { inv.start = .earliest }
        return inv
    }
}
