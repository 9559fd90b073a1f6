import Foundation
import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct LegacyMessageSetTests {
    static let legacyCodecs: [CompressionCodec] = [.none, .gzip, .snappy, .lz4]

    static func sample(magic: Int8, codec: CompressionCodec, firstOffset: Int64 = 100, logAppendTime: Int64? = nil) throws -> ByteBuffer {
        var builder = try LegacyMessageSetBuilder(magic: magic, compression: codec, logAppendTime: logAppendTime)
        try builder.append(offset: firstOffset, timestamp: 1000, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v0"))
        try builder.append(timestamp: 3000, key: nil, value: ByteBuffer(repeating: 0x41, count: 500))
        try builder.append(timestamp: 2000, key: ByteBuffer(), value: nil)
        return try builder.build()
    }

    static func deep(_ set: ByteBuffer) throws -> [LegacyMessage] {
        var it = LegacyDeepIterator(set)
        var out: [LegacyMessage] = []
        while let m = try it.next() { out.append(m) }
        #expect(it.incompleteTail == nil)
        return out
    }

    static func shallow(_ set: ByteBuffer) throws -> [LegacyMessage] {
        var it = LegacyMessageSetIterator(set)
        var out: [LegacyMessage] = []
        while let m = try it.next() { out.append(m) }
        return out
    }

    @Test(arguments: [Int8(0), 1], legacyCodecs)
    func roundTrip(magic: Int8, codec: CompressionCodec) throws {
        let set = try Self.sample(magic: magic, codec: codec)
        #expect(RecordBatchIterator.detectMagic(set) == magic)
        let outer = try Self.shallow(set)
        #expect(outer.count == (codec == .none ? 3 : 1))
        for m in outer { try m.validateCRC() }
        if codec != .none {
            let wrapper = outer[0]
            #expect(wrapper.compression == codec && wrapper.key == nil && wrapper.offset == 102)
            if magic == 1 { #expect(wrapper.timestamp == 3000 && wrapper.timestampType == .createTime) }
            // Inner offsets: relative in magic 1, absolute in magic 0.
            let inner = try Self.shallow(try LegacyMessageSet.decompress(wrapper))
            #expect(inner.map(\.offset) == (magic == 1 ? [0, 1, 2] : [100, 101, 102]))
        }
        let messages = try Self.deep(set)
        #expect(messages.map(\.offset) == [100, 101, 102])
        #expect(messages.map(\.magic) == [magic, magic, magic])
        #expect(messages.map(\.timestamp) == (magic == 1 ? [1000, 3000, 2000] : [-1, -1, -1]))
        #expect(messages.map(\.timestampType) == Array(repeating: magic == 1 ? .createTime : .noTimestampType, count: 3))
        #expect(messages[0].key == ByteBuffer(string: "k") && messages[0].value == ByteBuffer(string: "v0"))
        #expect(messages[1].key == nil && messages[1].value?.readableBytes == 500)
        #expect(messages[2].key == ByteBuffer() && messages[2].value == nil)
        #expect(messages.allSatisfy { !$0.isCompressed })
    }

    @Test func lz4Magic0UsesTheOldHeaderChecksum() throws {
        for magic: Int8 in [0, 1] {
            let wrapper = try Self.shallow(try Self.sample(magic: magic, codec: .lz4))[0]
            let frame = wrapper.value!.bytesArray
            let flags = frame[4]
            let end = 6 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
            let standard = frame[4 ..< end].withUnsafeBytes { UInt8(truncatingIfNeeded: XXH32.hash($0) >> 8) }
            let old = frame[0 ..< end].withUnsafeBytes { UInt8(truncatingIfNeeded: XXH32.hash($0) >> 8) }
            #expect(standard != old)
            #expect(frame[end] == (magic == 0 ? old : standard))
        }
    }

    @Test func logAppendTimeWrapperAppliesToInnerMessages() throws {
        let set = try Self.sample(magic: 1, codec: .gzip, logAppendTime: 9999)
        let wrapper = try Self.shallow(set)[0]
        #expect(wrapper.timestampType == .logAppendTime && wrapper.timestamp == 9999)
        let messages = try Self.deep(set)
        #expect(messages.allSatisfy { $0.timestamp == 9999 && $0.timestampType == .logAppendTime })
        let plain = try Self.deep(try Self.sample(magic: 1, codec: .none, logAppendTime: 9999))
        #expect(plain.allSatisfy { $0.timestamp == 9999 && $0.timestampType == .logAppendTime })
        #expect(throws: ProtocolError.self) { try LegacyMessageSetBuilder(magic: 0, logAppendTime: 1) }
    }

    @Test func wrapperOffsetZeroKeepsInnerOffsets() throws {
        // Some librdkafka versions send a magic-1 wrapper with offset 0.
        let set = try Self.sample(magic: 1, codec: .snappy, firstOffset: 0)
        var patched = set
        patched.setInteger(Int64(0), at: 0)  // offset is outside the message CRC
        #expect(try Self.deep(patched).map(\.offset) == [0, 1, 2])
        #expect(try Self.deep(try Self.sample(magic: 1, codec: .snappy, firstOffset: 7)).map(\.offset) == [7, 8, 9])
    }

    @Test func rejectsBadWrappers() throws {
        // A magic-1 wrapper around magic-0 messages.
        var inner = try LegacyMessageSetBuilder(magic: 0)
        try inner.append(key: nil, value: ByteBuffer(string: "x"))
        var compressed = ByteBuffer()
        try CompressionCodec.gzip.compress(try inner.build(), into: &compressed)
        var set = ByteBuffer()
        try LegacyMessageSet.writeMessage(offset: 0, magic: 1, attributes: 1, timestamp: 0, key: nil, value: compressed, into: &set)
        #expect(throws: ProtocolError.self) { try Self.deep(set) }
        // A wrapper whose value is not an LZ4 frame, an empty inner set, a zstd wrapper, a bad CRC.
        var garbage = ByteBuffer()
        try LegacyMessageSet.writeMessage(offset: 0, magic: 1, attributes: 3, timestamp: 0, key: nil, value: ByteBuffer(string: "nope"), into: &garbage)
        #expect(throws: ProtocolError.self) { try Self.deep(garbage) }
        var empty = ByteBuffer(), emptyInner = ByteBuffer()
        try CompressionCodec.snappy.compress(ByteBuffer(), into: &emptyInner)
        try LegacyMessageSet.writeMessage(offset: 0, magic: 0, attributes: 2, timestamp: 0, key: nil, value: emptyInner, into: &empty)
        #expect(throws: ProtocolError.self) { try Self.deep(empty) }
        var zstd = ByteBuffer()
        try LegacyMessageSet.writeMessage(offset: 0, magic: 1, attributes: 4, timestamp: 0, key: nil, value: ByteBuffer(), into: &zstd)
        #expect(throws: ProtocolError.self) { try Self.shallow(zstd) }
        var badCRC = try Self.sample(magic: 0, codec: .none)
        badCRC.setInteger(UInt8(0x7A), at: 27)  // the first message's value
        #expect(throws: ProtocolError.self) { try Self.deep(badCRC) }
        #expect(throws: ProtocolError.self) { try Self.shallow(badCRC).first!.validateCRC() }
    }

    @Test(arguments: [Int8(0), 1], legacyCodecs)
    func corruptInputNeverTraps(magic: Int8, codec: CompressionCodec) throws {
        let set = try Self.sample(magic: magic, codec: codec)
        func exercise(_ b: ByteBuffer) {
            do {
                var it = LegacyDeepIterator(b, validateCRC: false)
                while let m = try it.next() { _ = m.key; _ = m.value; _ = m.computeCRC() }
            } catch is ProtocolError {
            } catch {
                Issue.record("non-ProtocolError \(error)")
            }
        }
        // Offset fields are outside the CRC; flipping anything else must be detected.
        var offsetBytes = Set<Int>()
        var scan = LegacyMessageSetIterator(set)
        var position = 0
        while let m = try scan.next() {
            offsetBytes.formUnion(position ..< position + 8)
            position += m.sizeInBytes
        }
        for i in 0 ..< set.readableBytes {
            var b = set
            b.setInteger(b.getInteger(at: i, as: UInt8.self)! ^ 0xFF, at: i)
            exercise(b)
            #expect(throws: ProtocolError.self, "byte \(i)") {
                var it = LegacyDeepIterator(b)
                while try it.next() != nil {}
                // A size grown past the end reads as an incomplete tail, which is not an error.
                if offsetBytes.contains(i) || it.incompleteTail != nil { throw ProtocolError.invalid("accepted") }
            }
        }
        for cut in 0 ..< set.readableBytes {
            var b = set.getSlice(at: 0, length: cut)!
            var it = LegacyMessageSetIterator(b)
            var consumed = 0
            while let m = try it.next() { consumed += m.sizeInBytes }
            #expect(consumed + (it.incompleteTail?.readableBytes ?? 0) == cut)
            // A size field that agrees with the cut: the message itself is truncated.
            if cut >= 12 {
                b.setInteger(Int32(cut - 12), at: 8)
                exercise(b)
            }
        }
    }

    // MARK: Captured frames from real old clients and Kafka 3.7.1

    /// Re-encodes every message of a shallow set (wrappers with their compressed value as is) and every inner set.
    static func checkReencoding(_ set: ByteBuffer, label: String, stats: inout [String: Int]) throws {
        var it = LegacyMessageSetIterator(set)
        var rebuilt = ByteBuffer()
        var complete = ByteBuffer()
        while let m = try it.next() {
            try m.validateCRC()
            stats["magic \(m.magic) \(m.compression)", default: 0] += 1
            var own = ByteBuffer()
            try LegacyMessageSet.writeMessage(
                offset: m.offset, magic: m.magic, attributes: m.attributes, timestamp: m.timestamp, key: m.key,
                value: m.value, into: &own)
            #expect(own == m.entry, "\(label): message at \(m.offset) re-encodes differently")
            rebuilt.writeImmutableBuffer(own)
            complete.writeImmutableBuffer(m.entry)
            if m.isCompressed {
                let innerSet = try LegacyMessageSet.decompress(m)
                var innerIt = LegacyMessageSetIterator(innerSet)
                var innerRebuilt = ByteBuffer()
                while let inner = try innerIt.next() {
                    try inner.validateCRC()
                    try LegacyMessageSet.writeMessage(
                        offset: inner.offset, magic: inner.magic, attributes: inner.attributes, timestamp: inner.timestamp,
                        key: inner.key, value: inner.value, into: &innerRebuilt)
                }
                #expect(innerIt.incompleteTail == nil)
                #expect(innerRebuilt == innerSet, "\(label): inner set of the wrapper at \(m.offset) re-encodes differently")
                // The builder, given the same messages, produces the same inner set.
                let deep = try deepMessages(of: m)
                var builder = try LegacyMessageSetBuilder(magic: m.magic, compression: m.compression)
                for d in deep { try builder.append(offset: d.offset, timestamp: d.timestamp, key: d.key, value: d.value, attributes: d.attributes) }
                let rebuiltWrapper = try shallow(try builder.build())[0]
                #expect(try LegacyMessageSet.decompress(rebuiltWrapper) == innerSet, "\(label): builder's inner set differs")
                // Old clients fill the wrapper's offset and timestamp their own way (the broker rewrites both).
                if rebuiltWrapper.offset != m.offset {
                    stats["known: wrapper offset \(m.offset) from the client, builder writes \(rebuiltWrapper.offset)", default: 0] += 1
                }
                if m.magic == 1 && m.timestampType == .createTime && rebuiltWrapper.timestamp != m.timestamp {
                    stats["known: wrapper timestamp \(m.timestamp == 0 ? "0" : "other") from the client, builder writes the max inner timestamp", default: 0] += 1
                }
            }
        }
        #expect(rebuilt == complete)
        // Plain sets rebuilt by the builder are byte-identical.
        let messages = try shallow(complete)
        if let first = messages.first, messages.allSatisfy({ !$0.isCompressed && $0.magic == first.magic }) {
            var builder = try LegacyMessageSetBuilder(magic: first.magic)
            for m in messages { try builder.append(offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, attributes: m.attributes) }
            #expect(try builder.build() == complete, "\(label): builder output differs")
            stats["plain sets rebuilt identically", default: 0] += 1
        }
    }

    static func deepMessages(of wrapper: LegacyMessage) throws -> [LegacyMessage] {
        try deep(wrapper.entry)
    }

    @Test func capturedProduceRequests() throws {
        let frames = CapturedFrameReader.frames(api: "Produce", dir: "req", versions: 0 ... 2)
        try #require(!frames.isEmpty, "no Produce v0-2 captures under \(RecordTestData.shared.path)")
        var stats: [String: Int] = [:]
        var sets = 0
        for (file, version) in frames {
            for (topic, partition, set) in try CapturedFrameReader.produceRecords(file, version: version) {
                let label = "\(file.lastPathComponent) \(topic)-\(partition)"
                sets += 1
                let magic = RecordBatchIterator.detectMagic(set)
                #expect(magic == 0 || magic == 1, "\(label)")
                #expect(magic == (version == 2 ? 1 : 0) || version == 2, "\(label): magic \(magic ?? -1)")
                var deep = LegacyDeepIterator(set)
                var count = 0
                while try deep.next() != nil { count += 1 }
                #expect(deep.incompleteTail == nil && count > 0, "\(label)")
                try Self.checkReencoding(set, label: label, stats: &stats)
            }
        }
        print("legacy produce: \(frames.count) frames, \(sets) message sets: \(stats.sorted { $0.key < $1.key })")
    }

    @Test func capturedFetchResponses() throws {
        let frames = CapturedFrameReader.frames(api: "Fetch", dir: "resp", versions: 0 ... 3)
        try #require(!frames.isEmpty)
        var stats: [String: Int] = [:]
        var sets = 0, messages = 0, tails = 0
        for (file, version) in frames {
            for (topic, partition, set) in try CapturedFrameReader.fetchRecords(file, version: version) where set.readableBytes > 0 {
                let label = "\(file.lastPathComponent) \(topic)-\(partition)"
                sets += 1
                #expect(RecordBatchIterator.detectMagic(set).map { $0 == (version >= 2 ? 1 : 0) } ?? true, "\(label)")
                var deep = LegacyDeepIterator(set)
                var previous = Int64.min
                while let m = try deep.next() {
                    #expect(m.offset > previous, "\(label): offsets not increasing")
                    previous = m.offset
                    messages += 1
                }
                if deep.incompleteTail != nil { tails += 1 }
                // Complete entries only, for the re-encoding check.
                var shallow = LegacyMessageSetIterator(set)
                var consumed = 0
                while let m = try shallow.next() { consumed += m.sizeInBytes }
                try Self.checkReencoding(set.getSlice(at: set.readerIndex, length: consumed)!, label: label, stats: &stats)
            }
        }
        print("legacy fetch: \(frames.count) frames, \(sets) message sets, \(messages) messages, \(tails) incomplete tails: \(stats.sorted { $0.key < $1.key })")
        #expect(messages > 0)
    }
}
