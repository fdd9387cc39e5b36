import LagCore
import RedisClient
import RedisProtocol

/// The validated flags. Everything is checked once in `TrafficOptions.config()`, so the tick
/// loop never meets a bad value and never has to decide what to do about one.
struct TrafficConfig: Sendable {
    var redis: RedisEndpoint
    var redisTimeout: Double
    /// The `--redis.*` flags as the exporter reads them: with Sentinel, the master is asked for.
    var target: ExporterConfig
    var streams: [String]
    var group: String
    /// Entries a second added to each stream.
    var produceRate: Double
    /// Mean entries a second each group reads from its stream, before `ConsumeWave` bends it.
    var consumeRate: Double
    var consumePeriod: Double
    var consumers: [String]
    var ackRatio: Double
    var stalled: Set<String>
    var stallAfter: Double
    var duration: Double?
    /// Approximate MAXLEN for XADD; 0 leaves the streams untrimmed.
    var maxLength: Int
    var payloadBytes: Int
    /// Ticks a second: each is one pipelined round trip.
    var tickRate: Double = 10
}
