import Foundation

/// Standard input as an async sequence of lines, read on a thread of its own: a blocking `readLine` must not
/// hold a thread of the cooperative pool.
enum StdinLines {
    static func stream() -> AsyncStream<String> {
        AsyncStream(bufferingPolicy: .bufferingOldest(4096)) { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) {
                    // Back-pressure: a full buffer makes yield drop, so wait for room instead.
                    while case .dropped = continuation.yield(line) { usleep(1000) }
                }
                continuation.finish()
            }
            thread.name = "stdin-reader"
            thread.start()
        }
    }
}
