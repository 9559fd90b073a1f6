import ArgumentParser
import KafkaProtocol
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `tributary protocol ...`: tools for looking at Kafka wire data.
struct ProtocolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol",
        abstract: "Inspect Kafka protocol frames.",
        subcommands: [Decode.self]
    )

    /// `tributary protocol decode`: one captured frame as JSON.
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode one frame (int32 size prefix included) and print it as JSON.",
            discussion: """
                A request carries its API key and version in its header. A response does not: give --response with \
                --api-key and --api-version of the request it answers. Record batches are decoded; record keys and \
                values print as UTF-8 text when they are valid UTF-8, else as base64 (with "keyBase64"/"valueBase64").
                """
        )

        @Flag(help: "The frame is a response.") var response = false
        @Option(name: .customLong("api-key"), help: "API key of the request a response answers.") var apiKey: Int16?
        @Option(name: .customLong("api-version"), help: "API version of the request a response answers.") var apiVersion: Int16?
        @Argument(help: "The frame file.") var file: String

        func run() throws {
            let bytes = try readFile(file)
            print(try ProtocolDecoder.decode(frame: bytes, response: response, apiKey: apiKey, apiVersion: apiVersion).rendered())
        }
    }
}

/// The logic behind `tributary protocol decode`, kept apart from argument parsing so tests can call it.
enum ProtocolDecoder {
    static func decode(frame: ByteBuffer, response: Bool, apiKey: Int16?, apiVersion: Int16?) throws -> JSONValue {
        var buf = frame
        guard let size: Int32 = buf.readInteger() else { throw ValidationError("the file is shorter than a size prefix") }
        guard Int(size) == buf.readableBytes else {
            throw ValidationError("size prefix says \(size) bytes but \(buf.readableBytes) follow")
        }
        if response {
            guard let k = apiKey, let v = apiVersion else {
                throw ValidationError("a response needs --api-key and --api-version (a response header does not carry them)")
            }
            guard let api = ApiKey(rawValue: k) else { throw ValidationError("unknown API key \(k)") }
            guard api.versions.contains(v) else { throw ValidationError("\(api.name) has no version \(v) (known: \(api.versions))") }
            let parsed = try ResponseFrame(parsing: buf, apiKey: api, version: v)
            var members: [(String, JSONValue)] = [
                ("direction", .string("response")), ("api", .string(api.name)), ("apiKey", .number("\(k)")),
                ("apiVersion", .number("\(parsed.bodyVersion)")),
                ("header", MessageJSON.json(parsed.header, version: api.responseHeaderVersion(v))),
                ("body", MessageJSON.json(parsed.body, version: parsed.bodyVersion, records: RecordsJSON.render)),
            ]
            if parsed.trailing.readableBytes > 0 { members.append(("trailingBytes", .number("\(parsed.trailing.readableBytes)"))) }
            return .object(members)
        }
        let parsed = try RequestFrame(parsing: buf)
        guard let api = parsed.apiKey, parsed.isSupported else {
            throw ValidationError("unsupported API key \(parsed.rawApiKey) version \(parsed.apiVersion)")
        }
        let (body, trailing) = try parsed.decodeBody()
        var members: [(String, JSONValue)] = [
            ("direction", .string("request")), ("api", .string(api.name)), ("apiKey", .number("\(api.rawValue)")),
            ("apiVersion", .number("\(parsed.apiVersion)")),
            ("header", MessageJSON.json(parsed.header, version: api.requestHeaderVersion(parsed.apiVersion))),
            ("body", MessageJSON.json(body, version: parsed.apiVersion, records: RecordsJSON.render)),
        ]
        if trailing.readableBytes > 0 { members.append(("trailingBytes", .number("\(trailing.readableBytes)"))) }
        return .object(members)
    }
}

/// Reads a whole file into a ByteBuffer with POSIX calls.
func readFile(_ path: String) throws -> ByteBuffer {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var buffer = ByteBuffer()
    while true {
        buffer.reserveCapacity(minimumWritableBytes: 65536)
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 65536) { ptr in
            max(0, read(fd, ptr.baseAddress, ptr.count))
        }
        if n == 0 { break }
    }
    return buffer
}
