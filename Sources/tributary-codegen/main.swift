import Foundation

// tributary-codegen: reads Kafka's message schemas and writes the Swift types of KafkaProtocol/Generated/.
//
// Usage: tributary-codegen [--schemas DIR] [--output DIR] [--check]
//   --schemas  the kafka-protocol folder (default: ../shared/kafka-protocol beside the package)
//   --output   the Generated/ folder (default: Sources/KafkaProtocol/Generated)
//   --tests-output  where the property tests' random-value generators go (default: Tests/KafkaProtocolTests/Generated)
//   --check    write nothing; exit 1 when any generated file differs from what is on disk

var schemasDir = "../shared/kafka-protocol"
var outputDir = "Sources/KafkaProtocol/Generated"
var testsOutputDir = "Tests/KafkaProtocolTests/Generated"
var check = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--schemas": schemasDir = args.popFirst() ?? schemasDir
    case "--output": outputDir = args.popFirst() ?? outputDir
    case "--tests-output": testsOutputDir = args.popFirst() ?? testsOutputDir
    case "--check": check = true
    default:
        FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
        exit(2)
    }
}

/// Schema folders and the Generated/ subfolder each one fills. `generator-test-examples/` and `streams/` are not
/// part of the broker's protocol; `legacy-3.9/message/` only supplies versions 4.x removed.
let folders: [(String, String)] = [
    ("message", "Messages"), ("metadata", "Metadata"), ("raft", "Raft"), ("group-coordinator", "GroupCoordinator"),
    ("transaction-coordinator", "TransactionCoordinator"), ("share-coordinator", "ShareCoordinator"),
    ("storage", "Storage"),
]

func jsonFiles(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
}

do {
    var expected: [String: String] = [:]  // relative path -> content
    var requests: [Schema] = []
    var all: [Schema] = []
    let legacyDir = schemasDir + "/legacy-3.9/message"
    let legacyNames = Set(try jsonFiles(legacyDir))
    for (folder, sub) in folders {
        for file in try jsonFiles(schemasDir + "/" + folder) {
            var schema = try SchemaLoader.load(path: schemasDir + "/" + folder + "/" + file)
            var sources = ["\(folder)/\(file)"]
            if folder == "message", legacyNames.contains(file) {
                let legacy = try SchemaLoader.load(path: legacyDir + "/" + file)
                schema = try SchemaMerger.merge(modern: schema, legacy: legacy)
                sources.append("legacy-3.9/message/\(file)")
            }
            if schema.validVersions.isEmpty { continue }
            var emitter = try Emitter(schema: schema)
            expected["\(sub)/\(schema.name).swift"] = try emitter.emitFile(sourceNames: sources)
            if schema.kind == "request" { requests.append(schema) }
            all.append(schema)
        }
    }
    expected["ApiKey.swift"] = ApiTableEmitter.emit(requests: requests)
    let expectedTests: [String: String] = ["Arbitrary.swift": try ArbitraryEmitter.emit(schemas: all)]

    var differences = try sync(expected, into: outputDir)
    differences += try sync(expectedTests, into: testsOutputDir)
    if check {
        if differences.isEmpty {
            print("generated code is up to date (\(expected.count + 1) files)")
        } else {
            print("generated code differs from the schemas in \(differences.count) files:")
            for d in differences.prefix(20) { print("  \(d)") }
            exit(1)
        }
    } else {
        print("wrote \(differences.count) of \(expected.count + 1) files")
    }
} catch {
    FileHandle.standardError.write(Data("tributary-codegen: \(error)\n".utf8))
    exit(1)
}

/// Makes `dir` hold exactly `expected` (relative path -> content); returns what differed. Writes nothing with --check.
@MainActor func sync(_ expected: [String: String], into dir: String) throws -> [String] {
    let fm = FileManager.default
    var existing: Set<String> = []
    if let e = fm.enumerator(atPath: dir) {
        while let p = e.nextObject() as? String { if p.hasSuffix(".swift") { existing.insert(p) } }
    }
    var differences: [String] = []
    for (rel, content) in expected.sorted(by: { $0.key < $1.key }) {
        let path = dir + "/" + rel
        let current = try? String(contentsOfFile: path, encoding: .utf8)
        if current != content {
            differences.append(rel)
            if !check {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
    }
    for stale in existing.subtracting(expected.keys).sorted() {
        differences.append(stale + " (stale)")
        if !check { try fm.removeItem(atPath: dir + "/" + stale) }
    }
    return differences
}
