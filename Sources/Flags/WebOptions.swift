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
    }
}
