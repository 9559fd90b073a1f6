import KafkaProtocol
import Testing

@testable import KafkaServer

/// A generator that replays fixed words, then counts up, to steer `randomClusterId`.
private struct ScriptedGenerator: RandomNumberGenerator {
    var words: [UInt64]
    var counter: UInt64 = 0x1234_5678_9ABC_DEF0

    mutating func next() -> UInt64 {
        if !words.isEmpty { return words.removeFirst() }
        counter &+= 1
        return counter
    }
}

@Suite("Config: storage formatting")
struct ConfigStorageFormattingTests {
    @Test func directoriesAreLogDirsThenMetadataDir() throws {
        let c = try loadConfig(overrides: ["log.dirs=/a,/b/", "metadata.log.dir=/meta"]).config
        #expect(StorageFormatting.directoriesToFormat(c) == ["/a", "/b/", "/meta"])
        let same = try loadConfig(overrides: ["log.dirs=/a,/b", "metadata.log.dir=/b/"]).config
        #expect(StorageFormatting.directoriesToFormat(same) == ["/a", "/b"])
        #expect(StorageFormatting.directoriesToFormat(try loadConfig().config) == ["./data"])
    }

    @Test func validClusterIdsParse() throws {
        let uuid = try StorageFormatting.validateClusterId("MkU3OEVBNTcwNTJENDM2Qg")
        #expect(uuid.base64 == "MkU3OEVBNTcwNTJENDM2Qg")
        #expect(try StorageFormatting.validateClusterId("4L6g3nShT-eMCtK--X86sw").base64 == "4L6g3nShT-eMCtK--X86sw")
    }

    @Test(arguments: [
        ("short", "expected 22 characters"),
        ("MkU3OEVBNTcwNTJENDM2Qg==", "expected 22 characters"),
        ("MkU3OEVBNTcwNTJENDM2Q+", "not URL-safe base64"),
        ("MkU3OEVBNTcwNTJENDM2Qh", "not the canonical encoding"),
        ("AAAAAAAAAAAAAAAAAAAAAA", "reserved"),
        ("AAAAAAAAAAAAAAAAAAAAAQ", "reserved"),
    ])
    func invalidClusterIds(id: String, reason: String) {
        let error = #expect(throws: ConfigError.self) { try StorageFormatting.validateClusterId(id) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("Invalid cluster id '\(id)'") == true)
    }

    @Test func randomIdsAreValidAndNeverStartWithDash() throws {
        var seen: Set<String> = []
        for _ in 0..<500 {
            let id = StorageFormatting.randomClusterId()
            #expect(!id.hasPrefix("-"))
            #expect(try StorageFormatting.validateClusterId(id).base64 == id)
            seen.insert(id)
        }
        #expect(seen.count == 500)
    }

    @Test func randomIdSkipsReservedAndDashPrefixedCandidates() {
        // 0xF8 << 56 encodes to a first character of '-' (62); (0, 0) and (0, 1) are reserved.
        var generator = ScriptedGenerator(words: [0, 0, 0, 1, 0xF800_0000_0000_0000, 7])
        let id = StorageFormatting.randomClusterId(using: &generator)
        #expect(!id.hasPrefix("-"))
        #expect(generator.words.isEmpty)
        #expect(KafkaUUID(base64: id) == KafkaUUID(mostSignificantBits: 0x1234_5678_9ABC_DEF1,
                                                   leastSignificantBits: 0x1234_5678_9ABC_DEF2))
    }
}
