import Foundation

// `stream-lag-fuzz TARGET [libFuzzer flags and corpus directories or files]`
let arguments = CommandLine.arguments
guard arguments.count >= 2, FuzzTarget(rawValue: arguments[1]) != nil else {
    FileHandle.standardError.write(Data(FuzzTarget.usage.utf8))
    exit(2)
}

#if FUZZING
exit(FuzzTarget.runDriver(arguments))
#else
FileHandle.standardError.write(Data((FuzzTarget.usage + "\nThis build has no libFuzzer: \(FuzzTarget.buildHint)\n").utf8))
exit(2)
#endif
