import ArgumentParser
import Flags
import Foundation
import LagCore
import RedisClient
import RedisProtocol

/// The command line. Names follow the exporter's Prometheus style so that a demo or a test can
/// pass the same `--redis.url`, `--streams` and `--consumer-group` to both programs.
struct TrafficOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-lag-traffic",
        abstract: "Makes real, changing consumer-group lag on Redis streams, for demos, tests and benchmarks.",
        discussion: """
            Each stream gets --produce-rate entries a second; its group reads at a rate that swings \
            slowly between 50% and 130% of --consume-rate, so lag grows and shrinks, and acknowledges \
            --ack-ratio of what it reads, so the pending list is never empty. Streams named in --stall \
            stop being read after --stall-after. Durations are Go style: 500ms, 5s, 1m30s. \
            Stops on SIGINT/SIGTERM or after --duration, with status 0.
            """)

    /// The exporter's own `--redis.*` flags, so that both programs take the same connection.
    @OptionGroup(title: "Redis") var redis: RedisOptions

    @Option(name: .customLong("streams"), help: "Comma-separated stream keys to write and read")
    var streams = Defaults.streams

    @Option(name: .customLong("consumer-group"), help: "Consumer group created on every stream and read by the consumers")
    var consumerGroup = Defaults.consumerGroup

    @Option(name: .customLong("produce-rate"), help: "Entries a second added to each stream")
    var produceRate = 50.0

    @Option(name: .customLong("consume-rate"), help: "Mean entries a second the group reads from each stream (varies 50%-130%)")
    var consumeRate = 40.0

    @Option(name: .customLong("consume-period"), help: "Period of the slow wave that varies the consume rate")
    var consumePeriod = "60s"

    @Option(name: .customLong("consumers"), help: "Consumers per group, named instance-1, instance-2, ...")
    var consumers = 2

    @Option(name: .customLong("ack-ratio"), help: "Fraction of read entries acknowledged (0 to 1)")
    var ackRatio = 0.9

    @Option(name: .customLong("stall"), help: "Comma-separated streams whose group stops reading after --stall-after (default none)")
    var stall: String?

    @Option(name: .customLong("stall-after"), help: "When the --stall streams stop being read")
    var stallAfter = "30s"

    @Option(name: .customLong("duration"), help: "Stop after this long (default: until SIGINT/SIGTERM)")
    var duration: String?

    @Option(name: .customLong("maxlen"), help: "Approximate MAXLEN each XADD trims to; 0 never trims")
    var maxlen = 100_000

    @Option(name: .customLong("payload-bytes"), help: "Size of each entry's payload field")
    var payloadBytes = 64


    func config(environment: [String: String]) throws -> TrafficConfig {
        var connection = ExporterConfig()
        try redis.apply(to: &connection, environment: environment)
        let streamList = FlagValues.list(streams)
        guard !streamList.isEmpty else { throw FlagError(flag: "--streams", problem: "no stream named") }
        guard Set(streamList).count == streamList.count else {
            throw FlagError(flag: "--streams", problem: "a stream is named twice")
        }
        let group = consumerGroup.trimmingCharacters(in: .whitespaces)
        guard !group.isEmpty, !group.contains(",") else {
            throw FlagError(flag: "--consumer-group", problem: "'\(consumerGroup)' must be one group name")
        }
        // Upper bounds keep a typo from turning into a flood that takes Redis' memory.
        guard produceRate.isFinite, (0...1_000_000).contains(produceRate) else {
            throw FlagError(flag: "--produce-rate", problem: "\(produceRate) is not from 0 to 1000000")
        }
        guard consumeRate.isFinite, (0...1_000_000).contains(consumeRate) else {
            throw FlagError(flag: "--consume-rate", problem: "\(consumeRate) is not from 0 to 1000000")
        }
        guard (1...1000).contains(consumers) else {
            throw FlagError(flag: "--consumers", problem: "\(consumers) is not from 1 to 1000")
        }
        guard ackRatio.isFinite, (0...1).contains(ackRatio) else {
            throw FlagError(flag: "--ack-ratio", problem: "\(ackRatio) is not from 0 to 1")
        }
        let stalled = FlagValues.list(stall ?? "")
        if let unknown = stalled.first(where: { !streamList.contains($0) }) {
            throw FlagError(flag: "--stall", problem: "'\(unknown)' is not one of --streams")
        }
        guard maxlen >= 0 else { throw FlagError(flag: "--maxlen", problem: "must not be negative") }
        guard (0...1_048_576).contains(payloadBytes) else {
            throw FlagError(flag: "--payload-bytes", problem: "\(payloadBytes) is not from 0 to 1048576")
        }
        return TrafficConfig(
            redis: connection.redis,
            redisTimeout: connection.redisTimeout,
            target: connection,
            streams: streamList,
            group: group,
            produceRate: produceRate,
            consumeRate: consumeRate,
            consumePeriod: try FlagValues.duration("--consume-period", consumePeriod, minimum: 1),
            consumers: (1...consumers).map { "instance-\($0)" },
            ackRatio: ackRatio,
            stalled: Set(stalled),
            stallAfter: try FlagValues.duration("--stall-after", stallAfter, minimum: 0),
            duration: try duration.map { try FlagValues.duration("--duration", $0, minimum: 0.001) },
            maxLength: maxlen,
            payloadBytes: payloadBytes)
    }
}
