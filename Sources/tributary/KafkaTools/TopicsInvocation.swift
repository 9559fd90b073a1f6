/// `kafka-topics.sh`'s command line, checked as Kafka 3.7's TopicCommand checks it.
struct TopicsInvocation: Equatable, Sendable {
    enum Action: String, Sendable { case create, list, describe, delete }

    var action: Action
    var bootstrapServer: String
    var topic: String?
    var partitions: Int?
    var replicationFactor: Int?
    var configs: [String: String] = [:]
    var ifExists = false
    var ifNotExists = false
    var underReplicatedPartitions = false
    var excludeInternal = false

    /// How a command line that does not run ends: the text and where it goes, and the exit status.
    enum Stop: Error, Equatable {
        /// `--help`: the description and option table on stderr, exit 0.
        case help(String)
        /// A usage error: the message and option table on stderr, exit 1.
        case usage(String)
        /// An invalid argument Kafka reports in one stderr line, exit 1.
        case invalid(String)
    }

    static let options: [ToolOption] = [
        ToolOption(name: "bootstrap-server", takesValue: true, help: "REQUIRED: The Kafka server to connect to.", valueName: "String: server to connect to"),
        ToolOption(name: "command-config", takesValue: true, help: "Property file containing configs to be passed to Admin Client.", valueName: "String: command config property file"),
        ToolOption(name: "config", takesValue: true, help: "A topic configuration override for the topic being created.", valueName: "String: name=value"),
        ToolOption(name: "create", takesValue: false, help: "Create a new topic."),
        ToolOption(name: "delete", takesValue: false, help: "Delete a topic"),
        ToolOption(name: "describe", takesValue: false, help: "List details for the given topics."),
        ToolOption(name: "exclude-internal", takesValue: false, help: "exclude internal topics when running list or describe command. The internal topics will be listed by default"),
        ToolOption(name: "help", takesValue: false, help: "Print usage information."),
        ToolOption(name: "if-exists", takesValue: false, help: "if set when altering or deleting or describing topics, the action will only execute if the topic exists."),
        ToolOption(name: "if-not-exists", takesValue: false, help: "if set when creating topics, the action will only execute if the topic does not already exist."),
        ToolOption(name: "list", takesValue: false, help: "List all available topics."),
        ToolOption(name: "partitions", takesValue: true, help: "The number of partitions for the topic being created or altered.", valueName: "Integer: # of partitions"),
        ToolOption(name: "replication-factor", takesValue: true, help: "The replication factor for each partition in the topic being created.", valueName: "Integer: replication factor"),
        ToolOption(name: "topic", takesValue: true, help: "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.", valueName: "String: topic"),
        ToolOption(name: "under-replicated-partitions", takesValue: false, help: "if set when describing topics, only show under replicated partitions"),
        ToolOption(name: "version", takesValue: false, help: "Display Kafka version."),
    ]

    static var usageTable: String { toolUsage("", options).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n") }

    /// Parses and checks `args`; throws `Stop` for help and for every command line Kafka refuses.
    static func parse(_ args: [String]) throws(Stop) -> TopicsInvocation {
        if args.isEmpty { throw .usage("Create, delete, describe, or change a topic.") }
        let a: ToolArguments
        do { a = try ToolArguments(args, options: options) } catch { throw .invalid("\(error)") }
        if a.has("help") { throw .help("This tool helps to create, delete, describe, or change a topic.") }
        let actions: [Action] = [.create, .list, .describe, .delete].filter { a.has($0.rawValue) }
        guard actions.count == 1, let action = actions.first else {
            throw .usage("Command must include exactly one action: --list, --describe, --create, --alter or --delete")
        }
        guard let bootstrap = a.value("bootstrap-server") else { throw .invalid("--bootstrap-server must be specified") }
        if action == .create || action == .delete, a.value("topic") == nil { throw .usage("Missing required argument \"[topic]\"") }
        func refuse(_ option: String, unless allowed: Set<Action>) throws(Stop) {
            if a.has(option), !allowed.contains(action) {
                throw .usage("Option \"[\(option)]\" can't be used with option \"[\(action.rawValue)]\"")
            }
        }
        try refuse("config", unless: [.create])
        try refuse("partitions", unless: [.create])
        try refuse("replication-factor", unless: [.create])
        try refuse("if-exists", unless: [.delete, .describe])
        try refuse("if-not-exists", unless: [.create])
        try refuse("under-replicated-partitions", unless: [.describe])
        try refuse("exclude-internal", unless: [.list, .describe])
        var inv = TopicsInvocation(action: action, bootstrapServer: bootstrap, topic: a.value("topic"))
        do {
            inv.partitions = try a.int("partitions")
            inv.replicationFactor = try a.int("replication-factor")
        } catch { throw .invalid("\(error)") }
        for entry in a.all("config") {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw .invalid("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")
            }
            inv.configs[String(parts[0]).trimmedForTools] = String(parts[1]).trimmedForTools
        }
        inv.ifExists = a.has("if-exists")
        inv.ifNotExists = a.has("if-not-exists")
        inv.underReplicatedPartitions = a.has("under-replicated-partitions")
        inv.excludeInternal = a.has("exclude-internal")
        return inv
    }

    /// The topics of `all` that `--topic` selects: Kafka treats it as a regular expression matched against the
    /// whole name, with commas as alternatives; internal topics are dropped with `--exclude-internal`.
    func selectTopics(_ all: [(name: String, internal: Bool)]) -> [String] {
        let pattern = topic.map { $0.split(separator: ",", omittingEmptySubsequences: false).joined(separator: "|") }
        let regex = pattern.flatMap { try? Regex($0) }
        return all.filter { t in
            if excludeInternal, t.internal { return false }
            guard let pattern else { return true }
            if let regex { return (try? regex.wholeMatch(in: t.name)) != nil }
            return t.name == pattern
        }.map(\.name).sorted()
    }
}
