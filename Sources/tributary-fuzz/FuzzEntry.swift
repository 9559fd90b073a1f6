import KafkaProtocol

// The fuzz target. Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh), libFuzzer supplies `main` and calls
// `LLVMFuzzerTestOneInput`; built plainly, this is a replayer that runs the files named on the command line
// through the same harness (for reproducing a finding in a debugger).

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct FuzzReplay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = FuzzHarness.readFile(path) else {
                print("cannot read \(path)")
                continue
            }
            bytes.withUnsafeBytes { FuzzHarness.run($0) }
            count += 1
        }
        print("replayed \(count) inputs without a finding")
    }
}
#endif
