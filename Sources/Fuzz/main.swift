#if FUZZING
import CLibFuzzer
#endif
import Foundation

// `stream-lag-fuzz TARGET [libFuzzer flags and corpus directories or files]`
let arguments = CommandLine.arguments
guard arguments.count >= 2, FuzzTarget(rawValue: arguments[1]) != nil else {
    FileHandle.standardError.write(Data(FuzzTarget.usage.utf8))
    exit(2)
}

#if FUZZING
// libFuzzer sees the program name and everything after the target.
var driverArguments = [arguments[0]] + arguments.dropFirst(2)
var argc = Int32(driverArguments.count)
let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: driverArguments.count + 1)
for (i, argument) in driverArguments.enumerated() { argv[i] = strdup(argument) }
argv[driverArguments.count] = nil
var argvPointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
exit(LLVMFuzzerRunDriver(&argc, &argvPointer, LLVMFuzzerTestOneInput))
#else
FileHandle.standardError.write(Data((FuzzTarget.usage + "\nThis build has no libFuzzer: \(FuzzTarget.buildHint)\n").utf8))
exit(2)
#endif
