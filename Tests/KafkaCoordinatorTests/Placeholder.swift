import Testing
@testable import KafkaCoordinator

@Test func targetBuilds() { #expect(Bool(true)) }
