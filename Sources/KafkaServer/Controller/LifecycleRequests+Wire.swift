import KafkaMetadata
import KafkaProtocol

// The broker lifecycle RPCs (KIP-631) and AllocateProducerIds (KIP-730) both ways: a command to the request a
// broker sends the active controller, and the request back to the command on the controller's listener.

extension BrokerRegistrationRequest {
    init(spec: BrokerRegistrationSpec, clusterId: String) {
        self.init()
        brokerId = spec.brokerId
        self.clusterId = clusterId
        incarnationId = spec.incarnationId
        listeners = spec.listeners.map {
            var l = Listener()
            l.name = $0.name
            l.host = $0.host
            l.port = $0.port
            l.securityProtocol = $0.securityProtocol
            return l
        }
        features = spec.supportedFeatures.map {
            var f = Feature()
            f.name = $0.name
            f.minSupportedVersion = $0.minVersion
            f.maxSupportedVersion = $0.maxVersion
            return f
        }
        rack = spec.rack
        logDirs = spec.logDirectories
    }

    var spec: BrokerRegistrationSpec {
        BrokerRegistrationSpec(
            brokerId: brokerId, incarnationId: incarnationId,
            listeners: listeners.map { .init(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol) },
            supportedFeatures: features.map { .init(name: $0.name, minVersion: $0.minSupportedVersion, maxVersion: $0.maxSupportedVersion) },
            rack: rack, logDirectories: logDirs)
    }
}

extension BrokerRegistrationResponse {
    init(result: BrokerRegistrationResult) {
        self.init()
        errorCode = result.error.code
        brokerEpoch = result.brokerEpoch
    }

    /// The response carries no message: a refusal is its code alone.
    var result: BrokerRegistrationResult {
        BrokerRegistrationResult(error: ApiError(code: errorCode, message: nil), brokerEpoch: brokerEpoch)
    }
}

extension BrokerHeartbeatRequest {
    init(spec: BrokerHeartbeatSpec) {
        self.init()
        brokerId = spec.brokerId
        brokerEpoch = spec.brokerEpoch
        currentMetadataOffset = spec.currentMetadataOffset
        wantFence = spec.wantFence
        wantShutDown = spec.wantShutDown
    }

    var spec: BrokerHeartbeatSpec {
        BrokerHeartbeatSpec(brokerId: brokerId, brokerEpoch: brokerEpoch, currentMetadataOffset: currentMetadataOffset,
                            wantFence: wantFence, wantShutDown: wantShutDown)
    }
}

extension BrokerHeartbeatResponse {
    init(result: BrokerHeartbeatResult) {
        self.init()
        errorCode = result.error.code
        isCaughtUp = result.isCaughtUp
        isFenced = result.isFenced
        shouldShutDown = result.shouldShutDown
    }

    var result: BrokerHeartbeatResult {
        BrokerHeartbeatResult(error: ApiError(code: errorCode, message: nil), isCaughtUp: isCaughtUp,
                              isFenced: isFenced, shouldShutDown: shouldShutDown)
    }
}

extension AllocateProducerIdsResponse {
    init(block: ProducerIdBlock) {
        self.init()
        errorCode = block.error.code
        producerIdStart = block.firstProducerId
        producerIdLen = block.count
    }

    var block: ProducerIdBlock {
        ProducerIdBlock(error: ApiError(code: errorCode, message: nil), firstProducerId: producerIdStart, count: producerIdLen)
    }
}
