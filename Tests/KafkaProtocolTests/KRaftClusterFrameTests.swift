import NIOCore
import Testing
@testable import KafkaProtocol

/// Every frame recorded between the nodes of a real 3-node Apache Kafka 3.7.1 KRaft cluster (raft traffic,
/// broker-to-controller requests, replica fetches, forwarded admin requests) decodes with the API and version its
/// index names and re-encodes to the same bytes.
@Suite struct KRaftClusterFrameTests {
    @Test func clusterCapturesArePresent() {
        let frames = SharedData.clusterFrames
        #expect(frames.count > 700, "expected ~718 frames under ../shared/kafka-captures/frames/kraft-cluster")
        let folders = Set(frames.map { $0.client })
        #expect(folders == Set(["broker-1", "broker-2", "broker-3", "ctrl-1", "ctrl-2", "ctrl-3"].map { "kraft-cluster/" + $0 }))
        // The raft APIs this cluster exercised are all among them.
        let keys = Set(frames.map { $0.api_key })
        for api in [ApiKey.vote, .beginQuorumEpoch, .endQuorumEpoch, .fetch, .fetchSnapshot, .envelope] {
            #expect(keys.contains(api.rawValue), "no \(api) frame")
        }
    }

    @Test(arguments: SharedData.clusterFrames)
    func clusterFrameRoundTrips(_ frame: SharedData.CapturedFrame) throws {
        try GoldenFrameTests.roundTrip(frame)
    }
}
