import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// Every API the broker advertises answers every version it advertises, for an empty request and for requests
/// that carry data; and ApiVersions lists exactly the served handlers.
@Suite(.serialized) struct BrokerApiVersionsTests {
    @Test func everyAdvertisedVersionAnswers() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        let versions = try #require(try await client.send(ApiVersionsRequest(), version: 3)?.body as? ApiVersionsResponse)
        #expect(versions.errorCode == 0)
        #expect(versions.apiKeys.count >= 10)
        var answered = 0
        for entry in versions.apiKeys {
            let api = try #require(ApiKey(rawValue: entry.apiKey))
            for v in entry.minVersion...entry.maxVersion {
                var request = api.requestType.init()
                if var produce = request as? ProduceRequest {
                    produce.acks = 1  // acks=0 is answered with silence
                    request = produce
                }
                let frame = try await sendAny(request, version: v, client: client)
                #expect(frame != nil, "\(api.name) v\(v): connection closed")
                if frame == nil { return }
                answered += 1
            }
        }
        #expect(answered > 100)
        await tb.stop()
    }

    /// Produce, fetch, list offsets and metadata with data in every version: each response encodes.
    @Test func dataBearingRequestsAnswerInEveryVersion() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var create = CreateTopicsRequest()
        var t = CreateTopicsRequest.CreatableTopic()
        t.name = "versions"
        t.numPartitions = 2
        t.replicationFactor = 1
        create.topics = [t]
        let created = try #require(try await client.send(create, version: 4)?.body as? CreateTopicsResponse)
        #expect(created.topics.first?.errorCode == 0)
        let topicId = tb.broker.context.image.topic(named: "versions")!.id

        // Produce v0-2 carry legacy message sets (converted to magic 2 on append).
        for v: Int16 in 0...2 {
            var legacy = try LegacyMessageSetBuilder(magic: v == 2 ? 1 : 0)
            try legacy.append(timestamp: v == 2 ? tb.broker.context.clock() : -1, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "old\(v)"))
            var p = ProduceRequest.PartitionProduceData()
            p.index = 0
            p.records = try legacy.build()
            var td = ProduceRequest.TopicProduceData()
            td.name = "versions"
            td.partitionData = [p]
            var req = ProduceRequest()
            req.acks = 1
            req.timeoutMs = 1000
            req.topicData = [td]
            let resp = try #require(try await client.send(req, version: v)?.body as? ProduceResponse, "Produce v\(v)")
            #expect(resp.responses.first?.partitionResponses.first?.errorCode == 0, "Produce v\(v)")
        }
        for v in ApiKey.produce.versions where v >= 3 {
            var builder = RecordBatchBuilder()
            try builder.append(timestamp: tb.broker.context.clock(), key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v\(v)"))
            var p = ProduceRequest.PartitionProduceData()
            p.index = 0
            p.records = try builder.build()
            var td = ProduceRequest.TopicProduceData()
            if v >= 13 { td.topicId = topicId } else { td.name = "versions" }
            td.partitionData = [p]
            var req = ProduceRequest()
            req.acks = -1
            req.timeoutMs = 1000
            req.topicData = [td]
            let resp = try #require(try await client.send(req, version: v)?.body as? ProduceResponse, "Produce v\(v)")
            #expect(resp.responses.first?.partitionResponses.first?.errorCode == 0, "Produce v\(v)")
        }
        for v in ApiKey.metadata.versions {
            var req = MetadataRequest()
            var mt = MetadataRequest.MetadataRequestTopic()
            mt.name = "versions"
            req.topics = [mt]
            let resp = try #require(try await client.send(req, version: v)?.body as? MetadataResponse, "Metadata v\(v)")
            #expect(resp.topics.first?.partitions.count == 2, "Metadata v\(v)")
        }
        for v in ApiKey.fetch.versions {
            var fp = FetchRequest.FetchPartition()
            fp.partition = 0
            fp.fetchOffset = 0
            fp.partitionMaxBytes = 1 << 20
            var ft = FetchRequest.FetchTopic()
            if v >= 13 { ft.topicId = topicId } else { ft.topic = "versions" }
            ft.partitions = [fp]
            var req = FetchRequest()
            req.maxWaitMs = 0
            req.maxBytes = 1 << 20
            req.topics = [ft]
            let resp = try #require(try await client.send(req, version: v)?.body as? FetchResponse, "Fetch v\(v)")
            let pd = try #require(resp.responses.first?.partitions.first)
            #expect(pd.errorCode == 0, "Fetch v\(v)")
            let records = try #require(pd.records, "Fetch v\(v)")
            #expect(records.readableBytes > 0, "Fetch v\(v)")
            if v >= 4 {
                // Sent with sendfile, spliced into the response: whole batches with valid CRCs.
                let (batches, _) = try RecordBatchIterator.split(records)
                #expect(batches.count >= 1 && batches.allSatisfy(\.hasValidCRC), "Fetch v\(v)")
                #expect(batches.first?.header.baseOffset == 0, "Fetch v\(v)")
            }
            if v < 4 {
                // Old versions get magic 0 (v0-1) or magic 1 (v2-3) message sets with absolute offsets.
                #expect(RecordBatchIterator.detectMagic(records) == (v <= 1 ? 0 : 1), "Fetch v\(v)")
                var it = LegacyDeepIterator(records)
                var offsets: [Int64] = []
                while let m = try it.next() { offsets.append(m.offset) }
                #expect(offsets == Array(0...13), "Fetch v\(v)")
            }
        }
        for v in ApiKey.listOffsets.versions {
            var lp = ListOffsetsRequest.ListOffsetsPartition()
            lp.partitionIndex = 0
            lp.timestamp = -1
            var lt = ListOffsetsRequest.ListOffsetsTopic()
            lt.name = "versions"
            lt.partitions = [lp]
            var req = ListOffsetsRequest()
            req.topics = [lt]
            let resp = try #require(try await client.send(req, version: v)?.body as? ListOffsetsResponse, "ListOffsets v\(v)")
            let pr = try #require(resp.topics.first?.partitions.first)
            #expect(pr.errorCode == 0, "ListOffsets v\(v)")
            if v > 0 { #expect(pr.offset == 14, "ListOffsets v\(v)") } else { #expect(pr.oldStyleOffsets == [14]) }
        }
        for v in ApiKey.describeConfigs.versions {
            var r = DescribeConfigsRequest.DescribeConfigsResource()
            r.resourceType = 2
            r.resourceName = "versions"
            var req = DescribeConfigsRequest()
            req.resources = [r]
            req.includeSynonyms = v >= 1
            let resp = try #require(try await client.send(req, version: v)?.body as? DescribeConfigsResponse, "DescribeConfigs v\(v)")
            #expect(resp.results.first?.configs.contains { $0.name == "retention.ms" } == true, "DescribeConfigs v\(v)")
        }
        await tb.stop()
    }

    /// ApiVersions with a version the broker does not know gets a v0 answer with error 35 and the ranges (KIP-511).
    @Test func unknownApiVersionsVersionFallsBack() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var frame = ByteBuffer()
        KafkaFrame.writeSized(into: &frame) { b in
            b.writeInteger(Int16(18))
            b.writeInteger(Int16(99))
            b.writeInteger(Int32(7))
            b.writeInteger(Int16(-1))
        }
        client.sendRaw(frame)
        var response = try #require(await client.receiveFrame())
        let correlation: Int32? = response.readInteger()
        #expect(correlation == 7)
        let body = try ApiVersionsResponse(from: &response, version: 0)
        #expect(body.errorCode == KafkaError.unsupportedVersion.code)
        #expect(body.apiKeys.contains { $0.apiKey == 0 })
        await tb.stop()
    }

    private func sendAny(_ request: any KafkaRequest, version: Int16, client: TestClient) async throws -> ResponseFrame? {
        func open<R: KafkaRequest>(_ r: R) async throws -> ResponseFrame? { try await client.send(r, version: version) }
        return try await open(request)
    }
}
