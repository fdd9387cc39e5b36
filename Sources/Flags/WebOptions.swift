public import ArgumentParser
public import LagCore

/// `--web.*` except the web config file (see `AuthOptions`): where and how to serve.
public struct WebOptions: ParsableArguments {
    @Option(name: .customLong("web.listen-address"), help: ArgumentHelp(
        "Address to serve on; repeatable (default \(Defaults.listenAddress))", valueName: "address"))
    var listenAddresses: [String] = []

    @Option(name: .customLong("web.telemetry-path"), help: ArgumentHelp("Path of the metrics", valueName: "path"))
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("web.max-connections"), help: ArgumentHelp("Most concurrent HTTP connections", valueName: "n"))
    var maxConnections: Int = 512

    @Option(name: .customLong("web.max-connections-per-ip"), help: ArgumentHelp(
        "Most concurrent HTTP connections from one client address (0: no limit)", valueName: "n"))
    var maxConnectionsPerAddress: Int = 64

    @Option(name: .customLong("web.header-timeout"), help: ArgumentHelp(
        "Time a new connection has to send its request headers (a keep-alive connection: this plus the 30s idle timeout after a response)",
        valueName: "duration"))
    var headerTimeout: String = "10s"

    @Flag(name: .customLong("web.disable-auth"), help: "Serve without credentials on a non-loopback address (refused otherwise)")
    public var disableAuth = false

    public init() {}

    public func apply(to c: inout ExporterConfig) throws(FlagError) {
        if !listenAddresses.isEmpty {
            var addresses: [ListenAddress] = []
            for text in listenAddresses {
                guard let address = ListenAddress.parse(text) else {
                    throw FlagError(flag: "--web.listen-address", problem: "'\(text)' is not host:port")
                }
                guard !addresses.contains(address) else {
                    throw FlagError(flag: "--web.listen-address", problem: "\(address) is given twice")
                }
                addresses.append(address)
            }
            c.listenAddresses = addresses
        }
        guard telemetryPath.hasPrefix("/"), !telemetryPath.hasPrefix("/api/"), telemetryPath != "/",
              telemetryPath != "/-/healthy", telemetryPath != "/-/ready"
        else {
            throw FlagError(flag: "--web.telemetry-path",
                            problem: "'\(telemetryPath)' must start with / and not be a path the exporter already serves")
        }
        c.telemetryPath = telemetryPath
        guard (1...1_000_000).contains(maxConnections) else {
            throw FlagError(flag: "--web.max-connections", problem: "must be from 1 to 1000000")
        }
        c.maxConnections = maxConnections
        guard (0...1_000_000).contains(maxConnectionsPerAddress) else {
            throw FlagError(flag: "--web.max-connections-per-ip", problem: "must be from 0 (no limit) to 1000000")
        }
        c.maxConnectionsPerAddress = maxConnectionsPerAddress
        c.headerTimeout = try FlagValues.duration("--web.header-timeout", headerTimeout, minimum: 0.1)
        guard c.headerTimeout <= 3600 else {
            throw FlagError(flag: "--web.header-timeout", problem: "must be at most 1h")
        }
    }
}
