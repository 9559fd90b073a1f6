import Testing
@testable import KafkaClient

@Suite struct PartitionerTests {
    /// The values Kafka's own UtilsTest pins for `Utils.murmur2`: the Java implementation's results.
    @Test(arguments: [
        ("21", Int32(-973_932_308)),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ])
    func murmur2MatchesJava(input: String, expected: Int32) {
        #expect(Partitioner.murmur2(Array(input.utf8)) == expected)
    }

    @Test func negativeHashIsMadePositiveBySignBitNotAbs() {
        // murmur2("21") is negative: toPositive clears the sign bit (Java), it does not negate.
        let h = Partitioner.murmur2(Array("21".utf8))
        #expect(Partitioner.toPositive(h) == h & 0x7fff_ffff)
        #expect(Partitioner.toPositive(Int32.min) == 0)
        #expect(Partitioner.partition(key: Array("21".utf8), partitionCount: 6) == (-973_932_308 & 0x7fff_ffff) % 6)
    }

    @Test func stickyPartitionHoldsUntilBatchCompletes() {
        var s = StickyPartitions()
        var draws = [1, 0]
        let first = s.partition(for: "t", partitionCount: 3, available: [0, 1, 2]) { _ in draws.removeFirst() }
        #expect(first == 1)
        #expect(s.partition(for: "t", partitionCount: 3, available: [0, 1, 2]) { _ in 2 } == 1)
        s.batchCompleted(topic: "t", partition: 1)
        #expect(s.partition(for: "t", partitionCount: 3, available: [0, 1, 2]) { _ in draws.removeFirst() } == 0)
    }
}

@Suite struct IdempotenceRulesTests {
    @Test func sequencesWrapAsKafkas() {
        #expect(KafkaProducer.sequence(0, plus: 5) == 5)
        #expect(KafkaProducer.sequence(Int32.max - 2, plus: 2) == Int32.max)
        #expect(KafkaProducer.sequence(Int32.max - 2, plus: 3) == 0)
        #expect(KafkaProducer.sequence(Int32.max, plus: 10) == 9)
    }

    @Test func idempotentByDefaultOnlyWithAcksAll() throws {
        var c = ProducerConfig(client: try KafkaClientConfig(bootstrap: "h:1"))
        #expect(c.idempotent)
        c.acks = .leader
        #expect(!c.idempotent)
        try c.validate()
        c.enableIdempotence = true
        #expect(throws: KafkaClientError.self) { try c.validate() }
        c.acks = .all
        c.enableIdempotence = false
        #expect(!c.idempotent)
    }
}
