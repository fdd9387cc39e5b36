// swift-tools-version:6.0
import PackageDescription

/// One set of compiler settings for every Swift target.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

#if os(Linux)
import Glibc

/// Whether the glibc this is built on loads packed relative relocations (DT_RELR, 2.36 and
/// later: Debian 12, Ubuntu 22.10). A binary that uses them does not start on an older glibc,
/// so they are used only where the build's own glibc has them.
let glibcLoadsRELR: Bool = {
    var text = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count) > 0 else { return false }
    let words = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    let version = words.last?.split(separator: ".").compactMap { Int($0) } ?? []
    return version.count >= 2 && (version[0], version[1]) >= (2, 36)
}()
#else
let glibcLoadsRELR = false
#endif

/// lld's flags that place the functions the exporter runs (its exporter.order, written by
/// scripts/order-file.sh) together at the start of its code. The kernel maps code in 64 KB
/// blocks around each page first run, so the same functions spread over 20 MB of code kept
/// 8 MiB of it resident, against 5 MiB together (docs/performance.md). A function that is not
/// in the file, or a name in it that the build no longer has, changes nothing else.
let codeOrderFlags: [String] = [
    "-Xlinker", "--symbol-ordering-file=" + String(#filePath.dropLast("Package.swift".count)) + "Sources/StreamLagExporter/exporter.order",
    "-Xlinker", "--no-warn-symbol-ordering",
]

/// How the exporter's release binary is linked on Linux: without exporting every symbol of the
/// static Swift libraries (`-export-dynamic` comes with `--static-swift-stdlib`), and, where
/// glibc loads them, by lld with packed relative relocations. With gold, 2.3 MB of relocations
/// and 1.4 MB of dynamic symbol tables were read at start-up and stayed resident: 2.7 MiB of
/// RSS for nothing (docs/performance.md). It stays a position-independent executable.
let exporterLinkFlags: [String] = ["-Xlinker", "--no-export-dynamic"]
    + (glibcLoadsRELR ? ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] + codeOrderFlags : [])

let package = Package(
    name: "stream-lag-exporter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stream-lag-exporter", targets: ["StreamLagExporter"]),
        .executable(name: "stream-lag-traffic", targets: ["TrafficGen"]),
        .executable(name: "stream-lag-fuzz", targets: ["Fuzz"]),
        .executable(name: "stream-lag-renderbench", targets: ["RenderBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C system libraries, each seen only by its thin wrapper below.
        .systemLibrary(
            name: "CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev", "libgnutls28-dev"])]),
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's malloc_trim and mallopt (memory handed back after each poll).
        .systemLibrary(name: "CMalloc"),
        // libFuzzer's driver entry point, declared only (the fuzz build links the runtime).
        .systemLibrary(name: "CLibFuzzer"),

        // Synchronization.Mutex's interface over pthread_mutex_t, which ThreadSanitizer can see;
        // used only in builds with -DSTREAM_LAG_TSAN (scripts/sanitize.sh thread).
        .target(name: "SanitizerMutex", swiftSettings: swiftSettings),
        // Pure Swift: the reply type, the pipeline protocol, endpoints and errors, shared by the
        // core and every way of reaching Redis.
        .target(name: "RedisProtocol", swiftSettings: swiftSettings),
        // The only Swift code that touches hiredis (the RESP codec) and the sockets and GnuTLS
        // sessions under it (rediss://).
        .target(name: "RedisClient", dependencies: ["CHiredis", "RedisProtocol"], swiftSettings: swiftSettings),
        // Which Redis to poll: the URL's server, or the master its sentinels name (Cluster next).
        .target(
            name: "RedisTopology", dependencies: ["RedisClient", "RedisProtocol", "LagCore"],
            swiftSettings: swiftSettings),
        // The only Swift code that touches libmicrohttpd (and GnuTLS, for client certificates).
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD", "SanitizerMutex"], swiftSettings: swiftSettings),
        // The only Swift code that touches libcrypt: bcrypt hashing.
        .target(name: "Bcrypt", dependencies: ["CCrypt"], swiftSettings: swiftSettings),
        // The only Swift code that touches zlib: gzip of /metrics bodies.
        .target(name: "Gzip", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        // Pure Swift: configuration, reply parsing, lag maths, snapshot, renderers, routing.
        .target(
            name: "LagCore",
            dependencies: [
                "RedisProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Pure Swift: bearer tokens, JWT (jwt-kit), the exporter-toolkit web config, the policy
        // (on LagCore for the one flag error type).
        .target(
            name: "Auth",
            dependencies: [
                "LagCore", "SanitizerMutex",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),

        // The command line, one option group per concern (Redis, streams, lag, web, auth, log),
        // and the exit-2 prologue both executables share.
        .target(
            name: "Flags",
            dependencies: [
                "LagCore", "Auth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "StreamLagExporter",
            dependencies: [
                "LagCore", "RedisClient", "RedisProtocol", "RedisTopology", "HTTPServer", "Bcrypt", "Gzip", "Auth", "Flags",
                "CMalloc", "SanitizerMutex",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["exporter.order"],
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(exporterLinkFlags, .when(platforms: [.linux], configuration: .release))]),
        .executableTarget(
            name: "TrafficGen",
            dependencies: [
                "LagCore", "RedisClient", "RedisProtocol", "RedisTopology", "Flags",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // Times a publication's bodies over a synthetic snapshot (scripts/bench.sh --render).
        .executableTarget(name: "RenderBench", dependencies: ["LagCore", "Gzip"], swiftSettings: swiftSettings),

        // libFuzzer targets for every parser of outside input (scripts/fuzz.sh builds it with
        // -sanitize=fuzzer,address -DFUZZING; the plain build only prints how).
        .executableTarget(
            name: "Fuzz",
            dependencies: [
                "LagCore", "RedisClient", "RedisProtocol", "Auth", "Flags", "CLibFuzzer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),

        .testTarget(
            name: "LagCoreTests", dependencies: ["LagCore", "RedisProtocol", "SanitizerMutex"],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuthTests",
            dependencies: ["Auth", "Bcrypt", "HTTPServer", "SanitizerMutex", .product(name: "JWTKit", package: "jwt-kit")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["LagCore", "RedisClient", "RedisProtocol", "SanitizerMutex", .product(name: "JWTKit", package: "jwt-kit")],
            swiftSettings: swiftSettings),
    ]
)
