// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tributary", targets: ["tributary"]),
        .executable(name: "tributary-codegen", targets: ["tributary-codegen"]),
        .executable(name: "tributary-fuzz", targets: ["tributary-fuzz"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "KafkaStorage", targets: ["KafkaStorage"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // C: hardware CRC-32C (SSE4.2 / ARMv8 CRC) with a portable fallback.
        .target(name: "CKafkaCRC", cSettings: [.unsafeFlags(["-O3"])]),
        // System libraries for the four Kafka codecs; scripts/setup.sh installs the Debian -dev packages.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "KafkaProtocol",
            dependencies: [
                "CKafkaCRC", "CZlib", "CSnappy", "CLZ4", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KafkaStorage",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Pure: the controller's logic and the metadata image; no I/O, clock or randomness of its own.
        .target(name: "KafkaMetadata", dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // Pure: the KRaft quorum (KIP-595) as a synchronous state machine; events in, actions out (docs/raft.md).
        .target(name: "KafkaRaft", dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // Pure: a seeded deterministic simulation of a KafkaRaft quorum with invariant checks after every step.
        .target(name: "KafkaRaftSimulation", dependencies: ["KafkaRaft", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // Pure: a partition's replication state on its leader (ISR, high watermark, acks=all) and the fetch
        // position rules; events in, actions out (docs/replication.md).
        .target(name: "KafkaReplication", dependencies: ["KafkaProtocol"], swiftSettings: strict),
        // Pure: a seeded deterministic simulation of one partition replicated over three nodes and a controller.
        .target(name: "KafkaReplicationSimulation", dependencies: ["KafkaReplication", "KafkaProtocol", "KafkaStorage", "KafkaRaft", "KafkaRaftSimulation"], swiftSettings: strict),
        // Pure: the group and transaction coordinators' state machines, replaying __consumer_offsets records.
        .target(name: "KafkaCoordinator", dependencies: ["KafkaProtocol", "KafkaMetadata", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),
        // The Swift Kafka client (producer, consumer, admin): KafkaProtocol and NIO only, never a server target
        // (docs/client.md). The broker's own outgoing connections use its KafkaClientConnection.
        .target(
            name: "KafkaClient",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KafkaServer",
            dependencies: [
                "KafkaProtocol", "KafkaClient", "KafkaStorage", "KafkaMetadata", "KafkaCoordinator", "KafkaRaft", "KafkaReplication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tributary",
            dependencies: [
                "KafkaProtocol", "KafkaStorage", "KafkaServer", "KafkaCoordinator", "KafkaRaft", "KafkaClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                "KafkaRaftSimulation", "KafkaReplicationSimulation",
                .product(name: "NIOPosix", package: "swift-nio"),
                "CZlib", "CSnappy", "CLZ4", "CZstd", "CKafkaCRC",
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "tributary-codegen", swiftSettings: strict),
        // libFuzzer entry point: built with -sanitize=fuzzer -DFUZZING (scripts/fuzz.sh); a plain build
        // gives a replayer that runs files through the same harness.
        .executableTarget(
            name: "tributary-fuzz",
            dependencies: ["KafkaProtocol", "KafkaCoordinator", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TributaryCommandTests",
            dependencies: ["tributary", "KafkaProtocol", "KafkaStorage", "KafkaClient", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: ["KafkaClient", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaMetadataTests",
            dependencies: ["KafkaMetadata", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaCoordinatorTests",
            dependencies: ["KafkaCoordinator", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaServerTests",
            dependencies: ["KafkaServer", "KafkaClient", "KafkaProtocol", "KafkaStorage", "KafkaReplication", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaReplicationTests",
            dependencies: ["KafkaReplication", "KafkaReplicationSimulation", "KafkaProtocol"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaRaftTests",
            dependencies: ["KafkaRaft", "KafkaRaftSimulation", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RaftDriverTests",
            dependencies: [
                "KafkaServer", "KafkaRaft", "KafkaStorage", "KafkaProtocol", "KafkaMetadata",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaStorageTests",
            dependencies: ["KafkaStorage", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
    ]
)
