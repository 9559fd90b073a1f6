import KafkaProtocol

#if canImport(Glibc)
import Glibc
#endif

// The fuzz target. Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh), `main` hands control to libFuzzer's
// driver, which calls the harness with each input. (SwiftPM links executables with their own entry point symbol,
// so libFuzzer's `main` is not used; `LLVMFuzzerRunDriver` is libFuzzer's documented way in.) Built plainly, this
// is a replayer that runs the files named on the command line through the same harness.

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data else { return 0 }
            FuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
    }
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
