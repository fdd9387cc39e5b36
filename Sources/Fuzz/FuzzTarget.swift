#if FUZZING
import CLibFuzzer
#endif
import Foundation

/// One fuzz target per parser of outside input, chosen by the executable's first argument.
enum FuzzTarget: String, CaseIterable, Sendable {
    case redisURL = "redis-url"
    case duration
    case flags
    case authorization
    case jwt
    case webConfig = "web-config"
    case resp
    case collector
    case http
    /// A crash planted behind a 6-byte magic input: proves the fuzzer finds what it should.
    case planted

    /// What each target feeds, for the usage text.
    var summary: String {
        switch self {
        case .redisURL: "RedisURL.parse, ListenAddress.parse"
        case .duration: "DurationParser.seconds and format (round trip to the millisecond)"
        case .flags: "the exporter's command line (NUL-separated arguments): parse and validate every option group"
        case .authorization: "Credentials.check of an Authorization header (static token, JWT, basic users)"
        case .jwt: "JWTs with fuzzed header and claims JSON, signed with the test HS256 key"
        case .webConfig: "the --web.config.file YAML"
        case .resp: "RESP bytes through hiredis' reader, then every reply parser"
        case .collector: "a poll of Redis replies that are well formed but hold hostile values"
        case .http: "request method, path, Accept and Accept-Encoding (newline-separated)"
        case .planted: "traps on the input FUZZ!! (the fuzzer must find it)"
        }
    }

    static let usage: String = {
        var text = "usage: stream-lag-fuzz TARGET [libFuzzer flags] [corpus directory or input file ...]\n\ntargets:\n"
        for target in allCases { text += "  \(target.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))\(target.summary)\n" }
        return text + "\nscripts/fuzz.sh [seconds-per-target] [target ...] builds and runs them.\n"
    }()

    static let buildHint =
        "build it with swift build -c release --scratch-path .build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING "
        + "--product stream-lag-fuzz and run it with SWIFT_BACKTRACE=enable=no (scripts/fuzz.sh does both)"

    /// The target named on the command line. A global `let`: set once, before the first input.
    static let selected: FuzzTarget? = CommandLine.arguments.dropFirst().first.flatMap(FuzzTarget.init(rawValue:))

    func run(_ data: [UInt8]) {
        switch self {
        case .redisURL: ConfigTargets.redisURL(data)
        case .duration: ConfigTargets.duration(data)
        case .flags: ConfigTargets.flags(data)
        case .authorization: AuthTargets.authorization(data)
        case .jwt: AuthTargets.jwt(data)
        case .webConfig: AuthTargets.webConfig(data)
        case .resp: ReplyTargets.resp(data)
        case .collector: CollectorTarget.run(data)
        case .http: HTTPTarget.run(data)
        case .planted: PlantedTarget.run(data)
        }
    }
}

/// libFuzzer's per-input callback. Returns 0 always: a finding is a trap, not a return value.
@_cdecl("LLVMFuzzerTestOneInput")
func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTarget.selected?.run(bytes)
    return 0
}

#if FUZZING
extension FuzzTarget {
    /// Hands the command line, less the target name, to libFuzzer's driver. In the file of
    /// `LLVMFuzzerTestOneInput`: taking its C pointer in another file emits a second definition.
    static func runDriver(_ arguments: [String]) -> Int32 {
        let driverArguments = [arguments[0]] + arguments.dropFirst(2)
        var argc = Int32(driverArguments.count)
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: driverArguments.count + 1)
        for (i, argument) in driverArguments.enumerated() { argv[i] = strdup(argument) }
        argv[driverArguments.count] = nil
        var argvPointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&argc, &argvPointer, LLVMFuzzerTestOneInput)
    }
}
#endif
