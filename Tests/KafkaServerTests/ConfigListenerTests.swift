import Testing

@testable import KafkaServer

@Suite("Config: listeners and quorum addresses")
struct ConfigListenerTests {
    let protocols: [String: SecurityProtocol] = [
        "PLAINTEXT": .plaintext, "SSL": .ssl, "SASL_PLAINTEXT": .saslPlaintext, "SASL_SSL": .saslSsl,
        "CONTROLLER": .plaintext,
    ]

    private func parse(_ text: String, distinct: Bool = true) throws -> [ListenerEndpoint] {
        try ListenerParsing.endpoints(text, key: "listeners", origin: .override, protocols: protocols,
                                      requireDistinctPorts: distinct)
    }

    @Test func emptyHostMeansAllInterfaces() throws {
        let endpoint = try #require(try parse("PLAINTEXT://:9092").first)
        #expect(endpoint == ListenerEndpoint(name: "PLAINTEXT", host: nil, port: 9092, securityProtocol: .plaintext))
        #expect(endpoint.bindsAllInterfaces)
        #expect(endpoint.description == "PLAINTEXT://:9092")
    }

    @Test func namedHostsAndProtocols() throws {
        let endpoints = try parse("PLAINTEXT://localhost:9092, SASL_SSL://broker-1.example.com:9094,CONTROLLER://0.0.0.0:9093")
        #expect(endpoints.map(\.host) == ["localhost", "broker-1.example.com", "0.0.0.0"])
        #expect(endpoints.map(\.securityProtocol) == [.plaintext, .saslSsl, .plaintext])
        #expect(endpoints[1].securityProtocol.usesTLS && endpoints[1].securityProtocol.usesSASL)
        #expect(!endpoints[0].bindsAllInterfaces && endpoints[2].bindsAllInterfaces)
    }

    @Test func ipv6Hosts() throws {
        let endpoints = try parse("PLAINTEXT://[::1]:9092,SSL://[fe80::1%eth0]:9093")
        #expect(endpoints.map(\.host) == ["::1", "fe80::1%eth0"])
        #expect(endpoints[0].description == "PLAINTEXT://[::1]:9092")
    }

    @Test func listenerNamesAreNormalisedToUpperCase() throws {
        #expect(try parse("plaintext://localhost:9092").first?.name == "PLAINTEXT")
    }

    @Test func ipv4AndIpv6MayShareAPort() throws {
        let endpoints = try parse("PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092")
        #expect(endpoints.count == 2)
        #expect(throws: ConfigError.self) { try parse("PLAINTEXT://127.0.0.1:9092,SSL://10.0.0.1:9092") }
    }

    @Test func portZeroMayRepeatAndAdvertisedPortsNeedNotDiffer() throws {
        #expect(try parse("PLAINTEXT://:0,SSL://:0").count == 2)
        #expect(try parse("PLAINTEXT://a:9092,SSL://b:9092", distinct: false).count == 2)
    }

    @Test func protocolMapParsing() throws {
        let map = try ListenerParsing.protocolMap("internal:plaintext , EXTERNAL:SASL_SSL", key: "m", origin: .override)
        #expect(map == ["INTERNAL": .plaintext, "EXTERNAL": .saslSsl])
    }

    @Test func customListenerNamesNeedAMapping() throws {
        let c = try loadConfig(file: """
            process.roles=broker,controller
            node.id=1
            listeners=INTERNAL://:9092,EXTERNAL://:9094,CONTROLLER://:9093
            advertised.listeners=INTERNAL://kafka:9092,EXTERNAL://localhost:9094
            listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
            inter.broker.listener.name=INTERNAL
            controller.listener.names=CONTROLLER
            controller.quorum.voters=1@localhost:9093
            """).config
        #expect(c.interBrokerListenerName == "INTERNAL")
        #expect(c.advertisedListeners.map(\.description) == ["INTERNAL://kafka:9092", "EXTERNAL://localhost:9094"])
    }

    @Test func controllerListenerGetsPlaintextOnlyWhenTheMapIsDefault() throws {
        let base = """
            process.roles=broker,controller
            node.id=1
            listeners=PLAINTEXT://:9092,CTRL://:9093
            controller.listener.names=CTRL
            controller.quorum.voters=1@localhost:9093
            """
        #expect(try loadConfig(file: base).config.listenerSecurityProtocolMap["CTRL"] == .plaintext)
        #expect(configError(file: base + "\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT")?.description
                .contains("no security protocol defined for listener CTRL") == true)
    }

    @Test func quorumVoters() throws {
        let voters = try ListenerParsing.voters(["1@a:9093", "2@[::1]:9093", "3@10.0.0.3:19093"],
                                                key: "controller.quorum.voters", origin: .override)
        #expect(voters.map(\.id) == [1, 2, 3])
        #expect(voters.map(\.endpoint.description) == ["a:9093", "[::1]:9093", "10.0.0.3:19093"])
        #expect(throws: ConfigError.self) {
            try ListenerParsing.voters(["-1@a:9093"], key: "controller.quorum.voters", origin: .override)
        }
        #expect(throws: ConfigError.self) {
            try ListenerParsing.voters(["1@:9093"], key: "controller.quorum.voters", origin: .override)
        }
    }
}
