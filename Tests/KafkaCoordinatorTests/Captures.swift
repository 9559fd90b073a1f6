import Foundation

/// `../shared/kafka-captures/log-segments` beside the repository, found from this file's path so that a clone
/// anywhere reads the same captures.
let coordinatorCaptures: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/<Target>/File.swift -> parent of the repo
    return url.appendingPathComponent("shared/kafka-captures/log-segments").path
}()
