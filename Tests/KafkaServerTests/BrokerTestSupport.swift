import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import KafkaServer

#if canImport(Glibc)
import Glibc
#endif

/// A broker started in-process on an ephemeral port with a fresh data directory.
struct TestBroker {
    let broker: Broker
    let port: Int
    let dir: String

    static func start(overrides: [String] = []) async throws -> TestBroker {
        let dir = NSTemporaryDirectory() + "tributary-test-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let loaded = try BrokerConfig.load(overrides: [
            "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
            "advertised.listeners=PLAINTEXT://127.0.0.1:0",
            "log.dirs=\(dir)",
        ] + overrides)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let broker = try await Broker.start(config: loaded.config, logger: logger)
        return TestBroker(broker: broker, port: broker.boundPorts["PLAINTEXT"] ?? 0, dir: dir)
    }

    func stop() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// A Kafka client over a plain blocking socket, for tests: one request, one response. The blocking calls run on a
/// thread of their own: on the cooperative pool they would starve the in-process broker's tasks.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    var correlationId: Int32 = 0

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw ProtocolError.invalid("connect failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func sendRaw(_ buffer: ByteBuffer) {
        var b = buffer
        while b.readableBytes > 0 {
            let n = b.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            b.moveReaderIndex(forwardBy: n)
        }
    }

    /// Reads one response frame (without its size prefix); nil when the broker closed the connection.
    func readFrame() -> ByteBuffer? {
        guard var sizeBytes = readExactly(4), let size: Int32 = sizeBytes.readInteger() else { return nil }
        return readExactly(Int(size))
    }

    private func readExactly(_ count: Int) -> ByteBuffer? {
        var out = ByteBuffer()
        out.reserveCapacity(count)
        while out.readableBytes < count {
            let want = count - out.readableBytes
            let fd = self.fd
            let n = out.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { p in
                max(0, recv(fd, p.baseAddress, want, 0))
            }
            if n == 0 { return nil }
        }
        return out
    }

    func send<R: KafkaRequest>(_ request: R, version: Int16) async throws -> ResponseFrame? {
        try await offPool { try self.sendBlocking(request, version: version) }
    }

    /// Reads one response frame off the cooperative pool.
    func receiveFrame() async -> ByteBuffer? {
        (try? await offPool { self.readFrame() }) ?? nil
    }

    private func offPool<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            let box = UncheckedBox(c)
            Thread { box.value.resume(with: Result { try body() }) }.start()
        }
    }

    private func sendBlocking<R: KafkaRequest>(_ request: R, version: Int16) throws -> ResponseFrame? {
        correlationId += 1
        var frame = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationId: correlationId, clientId: "test", into: &frame)
        sendRaw(frame)
        guard let response = readFrame() else { return nil }
        return try ResponseFrame(parsing: response, apiKey: ApiKey(rawValue: R.apiKey)!, version: version)
    }
}

/// Carries a non-Sendable value to a thread that alone uses it.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
