import Testing

@testable import KafkaServer

@Suite("Connection limits")
struct ConnectionLimitsTests {
    // MARK: Descriptor budget

    @Test func budgetOfASmallLimitSplitsWhatTheReserveLeaves() {
        let budget = DescriptorBudget(softLimit: 512, maxOpenSegmentFiles: 1000)
        #expect(budget.reserved == 64)
        #expect(budget.controllerConnections == 16)
        #expect(budget.segmentFiles == 224)
        #expect(budget.clientConnections == 224)
    }

    @Test func budgetOfAUsualLimitKeepsTheSegmentCache() {
        let budget = DescriptorBudget(softLimit: 20_000, maxOpenSegmentFiles: 1000)
        #expect(budget.reserved == 2000)
        #expect(budget.controllerConnections == 500)
        #expect(budget.segmentFiles == 1000)
        #expect(budget.clientConnections == 17_000)
        #expect(budget.reserved + budget.segmentFiles + budget.clientConnections == 20_000)
    }

    @Test func budgetNeverExceedsTheLimitAboveItsFloor() {
        for soft in [130, 256, 1024, 4096, 65_536, 1_048_576] {
            for segments in [1, 100, 1000, 100_000] {
                let b = DescriptorBudget(softLimit: soft, maxOpenSegmentFiles: segments)
                #expect(b.reserved + b.segmentFiles + b.clientConnections <= soft, "soft \(soft), segments \(segments)")
                #expect(b.segmentFiles <= segments)
                #expect(b.reserved >= 64 && b.reserved >= soft / 10)
            }
        }
    }

    @Test func budgetOfATinyLimitKeepsOneOfEach() {
        let budget = DescriptorBudget(softLimit: 32, maxOpenSegmentFiles: 1000)
        #expect(budget.segmentFiles == 1)
        #expect(budget.clientConnections == 1)
    }

    @Test func unknownLimitCapsNothing() {
        let budget = DescriptorBudget(softLimit: nil, maxOpenSegmentFiles: 1000)
        #expect(budget.clientConnections == .max)
        #expect(budget.segmentFiles == 1000)
    }

    @Test func brokerLimitIsTheLowerOfConfigAndBudget() throws {
        var network = try loadConfig().config.network
        let unlimited = try BrokerConnectionLimits(network: network, overridesOrigin: .defaultValue, softFileLimit: 512,
                                                   maxOpenSegmentFiles: 1000)
        #expect(unlimited.clients.maxConnections == 224)
        #expect(unlimited.controller.maxConnections == 16)
        network.maxConnections = 10
        network.maxConnectionsPerIp = 3
        network.maxConnectionsPerIpOverrides = "127.0.0.1:5,localhost:7"
        let limits = try BrokerConnectionLimits(network: network, overridesOrigin: .override, softFileLimit: 512,
                                                maxOpenSegmentFiles: 1000, resolve: { _ in ["127.0.0.1", "::1"] })
        #expect(limits.clients.maxConnections == 10)
        #expect(limits.controller.maxConnections == 10)
        #expect(limits.controller.maxConnectionsPerIp == .max)
        // Later entries win, as in Kafka's map: localhost (resolved) overrides 127.0.0.1's 5.
        #expect(limits.clients.perAddress == ["127.0.0.1": 7, "::1": 7])
        #expect(limits.clients.limit(for: "10.0.0.1") == 3)
    }

    // MARK: Overrides

    @Test func overridesParseAsKafkaDoes() throws {
        #expect(try ConnectionQuota.parseOverrides("") == [])
        #expect(try ConnectionQuota.parseOverrides("  ") == [])
        #expect(try ConnectionQuota.parseOverrides(" 127.0.0.1 : 5 , broker.example:10") == [
            .init(host: "127.0.0.1", count: 5), .init(host: "broker.example", count: 10)])
        // The last colon splits, so IPv6 addresses need no brackets (brackets are accepted too).
        #expect(try ConnectionQuota.parseOverrides("::1:7,[fe80::1]:0") == [
            .init(host: "::1", count: 7), .init(host: "fe80::1", count: 0)])
        #expect(try ConnectionQuota.parseOverrides("a:1,b:2,a:3") == [.init(host: "b", count: 2), .init(host: "a", count: 3)])
    }

    @Test(arguments: [
        ("127.0.0.1", "entry '127.0.0.1' has no ':count'"),
        ("a:1,:5", "entry ':5' has no host"),
        ("a:1,,b:2", "entry '' has no ':count'"),
        ("a:x", "entry 'a:x' has a count that is not a whole number >= 0"),
        ("a:-1", "entry 'a:-1' has a count that is not a whole number >= 0"),
        ("a:", "entry 'a:' has a count that is not a whole number >= 0"),
    ])
    func badOverridesNameTheEntry(text: String, message: String) {
        #expect(throws: ConfigError.invalidValue(
            key: "max.connections.per.ip.overrides", value: text, expected: "\(message); expected host:count,host:count",
            origin: .override)) {
            try ConnectionQuota.parseOverrides(text, origin: .override)
        }
    }

    @Test func addressesAreNormalised() {
        #expect(ConnectionQuota.normalize("127.0.0.1") == "127.0.0.1")
        #expect(ConnectionQuota.normalize("::ffff:127.0.0.1") == "127.0.0.1")
        #expect(ConnectionQuota.normalize("0:0:0:0:0:0:0:1") == "::1")
        #expect(ConnectionQuota.normalize("FE80:0::1") == "fe80::1")
        #expect(ConnectionQuota.normalize("localhost") == nil)
        #expect(ConnectionQuota.normalize("") == nil)
    }

    @Test func hostNamesResolveToEveryAddress() throws {
        let overrides = try ConnectionQuota.parseOverrides("db.example:2,::1:4")
        let limits = try ConnectionQuota.perAddressLimits(overrides) { host in
            host == "db.example" ? ["10.0.0.7", "::ffff:10.0.0.8", "fe80::1%eth0"] : []
        }
        // A scoped address is not a form a connection's address takes here: dropped.
        #expect(limits == ["10.0.0.7": 2, "10.0.0.8": 2, "::1": 4])
    }

    @Test func unresolvableHostIsAnError() throws {
        let overrides = try ConnectionQuota.parseOverrides("nowhere.invalid:2")
        #expect(throws: ConfigError.invalidValue(
            key: "max.connections.per.ip.overrides", value: "nowhere.invalid:2",
            expected: "host nowhere.invalid does not resolve to an IP address", origin: .defaultValue)) {
            try ConnectionQuota.perAddressLimits(overrides) { _ in [] }
        }
    }

    @Test func configRefusesBadOverridesAndAZeroPerIpLimitWithoutThem() {
        #expect(configError(overrides: ["max.connections.per.ip.overrides=10.0.0.1:2,10.0.0.2"])?.description
                == "Invalid value 10.0.0.1:2,10.0.0.2 for configuration max.connections.per.ip.overrides: entry "
                + "'10.0.0.2' has no ':count'; expected host:count,host:count (from --override)")
        #expect(configError(overrides: ["max.connections.per.ip=0"])?.description
                == "max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.")
        #expect(configError(overrides: ["max.connections.per.ip=0", "max.connections.per.ip.overrides=127.0.0.1:5"]) == nil)
    }

    // MARK: Counting

    @Test func perAddressLimitRejectsTheConnectionOverIt() {
        var counts = ConnectionCounts(quota: ConnectionQuota(maxConnectionsPerIp: 5, perAddress: ["10.0.0.9": 1]))
        for _ in 0 ..< 5 { #expect(counts.admit("127.0.0.1") == .admitted) }
        #expect(counts.admit("127.0.0.1") == .rejected(limit: 5))
        #expect(counts.admit("::1") == .admitted)
        #expect(counts.admit("10.0.0.9") == .admitted)
        #expect(counts.admit("10.0.0.9") == .rejected(limit: 1))
        #expect(counts.total == 7)
        counts.release("127.0.0.1")
        #expect(counts.admit("127.0.0.1") == .admitted)
        counts.release("10.0.0.9")
        #expect(counts.perAddress["10.0.0.9"] == nil)
    }

    @Test func brokerWideLimitMakesConnectionsWaitBeforeTheAddressCheck() {
        var counts = ConnectionCounts(quota: ConnectionQuota(maxConnections: 3, maxConnectionsPerIp: 2))
        #expect(counts.admit("127.0.0.1") == .admitted)
        #expect(counts.admit("127.0.0.1") == .admitted)
        #expect(counts.admit(nil) == .admitted)
        #expect(counts.isFull)
        // Kafka waits for a broker-wide slot first; only then is the address checked.
        #expect(counts.admit("127.0.0.1") == .wait)
        counts.release(nil)
        #expect(!counts.isFull)
        #expect(counts.admit("127.0.0.1") == .rejected(limit: 2))
        #expect(counts.admit("10.0.0.1") == .admitted)
        #expect(counts.admit("10.0.0.1") == .wait)
    }

    @Test func zeroLimitsAdmitNothing() {
        var none = ConnectionCounts(quota: ConnectionQuota(maxConnections: 0))
        #expect(none.admit("127.0.0.1") == .wait)
        var onlyOverridden = ConnectionCounts(quota: ConnectionQuota(maxConnectionsPerIp: 0, perAddress: ["127.0.0.1": 1]))
        #expect(onlyOverridden.admit("10.0.0.1") == .rejected(limit: 0))
        #expect(onlyOverridden.admit("127.0.0.1") == .admitted)
    }
}
