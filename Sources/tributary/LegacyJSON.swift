import KafkaProtocol
import NIOCore

/// Legacy message sets (magic 0 and 1) as JSON: each entry with its offset, magic, codec, CRC and timestamp; a
/// compressed wrapper lists its inner messages with their absolute offsets.
enum LegacyJSON {
    static func render(_ bytes: ByteBuffer) throws -> JSONValue {
        var outer = LegacyMessageSetIterator(bytes)
        var entries: [JSONValue] = []
        while let message = try outer.next() {
            var m = messageMembers(message)
            if message.isCompressed {
                var inner = LegacyDeepIterator(message.entry)
                var messages: [JSONValue] = []
                while let innerMessage = try inner.next() { messages.append(.object(messageMembers(innerMessage))) }
                m.append(("messages", .array(messages)))
            }
            entries.append(.object(m))
        }
        if let tail = outer.incompleteTail {
            entries.append(.object([("incompleteTrailingBytes", .number("\(tail.readableBytes)"))]))
        }
        return .array(entries)
    }

    static func messageMembers(_ message: LegacyMessage) -> [(String, JSONValue)] {
        var m: [(String, JSONValue)] = [
            ("offset", RecordsJSON.num(message.offset)), ("magic", RecordsJSON.num(message.magic)),
            ("compression", .string("\(message.compression)")), ("crc", RecordsJSON.num(message.crc)),
            ("crcValid", .bool(message.computeCRC() == message.crc)),
        ]
        if message.magic >= 1 {
            m.append(("timestamp", RecordsJSON.num(message.timestamp)))
            m.append(("timestampType", .string(message.timestampType == .logAppendTime ? "LogAppendTime" : "CreateTime")))
        }
        m.append(contentsOf: RecordsJSON.bytesMembers("key", message.key))
        if !message.isCompressed { m.append(contentsOf: RecordsJSON.bytesMembers("value", message.value)) }
        return m
    }
}
