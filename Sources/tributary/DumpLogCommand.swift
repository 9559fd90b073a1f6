import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `tributary dump-log`: kafka-dump-log.sh for Tributary (and Kafka) log directories, with the same options and
/// the same text, so that habits and scripts carry over.
struct DumpLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-log",
        abstract: "Print the contents of log segments, indexes and producer snapshots.",
        discussion: """
            Handles .log segments, .index, .timeindex and .txnindex files, producer-state .snapshot files and \
            KRaft .checkpoint snapshots. Values print as UTF-8 text; in __cluster_metadata directories (or with \
            --cluster-metadata-decoder) as decoded metadata records. Problems found by verification print on \
            stderr after all files, as kafka-dump-log.sh does.
            """
    )

    @Option(help: "Comma-separated list of files to dump.") var files: String
    @Flag(help: "Print the records' keys and values (implies --deep-iteration).") var printDataLog = false
    @Flag(help: "Print every record, not only the batches.") var deepIteration = false
    @Flag(help: "Check index entries against the log without printing them.") var verifyIndexOnly = false
    @Flag(help: "Only run the checks a broker runs on an index at startup.") var indexSanityCheck = false
    @Option(help: "Read at most this many bytes of each log.") var maxBytes = Int(Int32.max)
    @Option(help: "Accepted for compatibility; batches of any size are read.") var maxMessageSize: Int?
    @Flag(help: "Print only keys and values, not record metadata.") var skipRecordMetadata = false
    @Flag(help: "Decode values as KRaft metadata records (implies --print-data-log).") var clusterMetadataDecoder = false
    @Flag(help: "Not supported; values print as text (implies --print-data-log).") var offsetsDecoder = false
    @Flag(help: "Not supported; values print as text (implies --print-data-log).") var transactionLogDecoder = false
    @Option(help: "Not supported (no Java decoders); values print as UTF-8 text.") var valueDecoderClass: String?
    @Option(help: "Not supported (no Java decoders); keys print as UTF-8 text.") var keyDecoderClass: String?
    @Flag(help: "Print one JSON document per file instead of Kafka's text.") var json = false

    func validate() throws {
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be positive") }
    }

    func run() throws {
        for (option, value) in [("--value-decoder-class", valueDecoderClass), ("--key-decoder-class", keyDecoderClass)] {
            if let value { warn("\(option) \(value) ignored: decoder classes are Java; printing UTF-8 text") }
        }
        if offsetsDecoder { warn("--offsets-decoder is not supported yet; printing values as text") }
        if transactionLogDecoder { warn("--transaction-log-decoder is not supported yet; printing values as text") }
        var options = DumpLogOptions()
        // As Kafka: any decoder option turns on printing of the data.
        options.printDataLog = printDataLog || clusterMetadataDecoder || offsetsDecoder || transactionLogDecoder
            || valueDecoderClass != nil || keyDecoderClass != nil
        options.deepIteration = deepIteration
        options.verifyIndexOnly = verifyIndexOnly
        options.indexSanityCheck = indexSanityCheck
        options.maxBytes = maxBytes
        options.skipRecordMetadata = skipRecordMetadata
        options.clusterMetadataDecoder = clusterMetadataDecoder
        options.json = json
        let paths = files.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        let dump = DumpLog(options: options, out: { print($0) }, err: { warn($0) })
        if !dump.run(files: paths) { throw ExitCode(1) }
    }
}

/// A line on stderr, written directly to fd 2 (libc's `stderr` global is not concurrency-safe in Swift 6).
func warn(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

extension String {
    /// Kafka users write `--files a.log, b.index`; the spaces are not part of the names.
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
