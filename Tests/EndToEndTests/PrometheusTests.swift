import Foundation
import Testing

/// A real Prometheus scrapes the exporter with the scrape configs docs/security.md gives: it
/// negotiates OpenMetrics and gzip, and the values it stores equal what Redis says.
@Suite("Prometheus scrapes")
struct PrometheusTests {
    @Test func bearerTokenAndTLSWithBasicAuthScrapesAreIngested() throws {
        let h = try Harness(RedisVersion.all[0])
        try h.conn.run("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0", "MKSTREAM")
        try h.conn.addEntries("events:chat", 42)
        try h.conn.run("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "5", "STREAMS", "events:chat", ">")
        let dir = try SecretsDir()
        try dir.makePKI()
        let token = "tok-\(UUID().uuidString)"
        let tokenFile = try dir.write("token", token + "\n")
        let password = "pw-\(UUID().uuidString)"
        let passwordFile = try dir.write("password", password)
        let webConfig = try dir.write("web.yml", """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
            basic_auth_users:
              prometheus: \(try dir.bcrypt(password))

            """)
        let bearer = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "200ms", "--auth.bearer-tokens-file", tokenFile])
        let tls = try ExporterProcess(["--redis.url", h.redis.url, "--poll.interval", "200ms", "--web.config.file", webConfig])
        defer {
            bearer.terminate()
            tls.terminate()
        }
        let prometheus = try PrometheusServer(scrapeConfigs: """
              - job_name: bearer
                authorization:
                  type: Bearer
                  credentials_file: \(tokenFile)
                static_configs:
                  - targets: ["127.0.0.1:\(bearer.port)"]
              - job_name: tls
                scheme: https
                tls_config:
                  ca_file: \(dir.path("ca.pem"))
                basic_auth:
                  username: prometheus
                  password_file: \(passwordFile)
                static_configs:
                  - targets: ["127.0.0.1:\(tls.port)"]

            """)
        let expected = try h.conn.undelivered("events:chat", group: "signalr-consumers").count
        try eventually(30, "both jobs scraped with the lag Redis reports") {
            let lags = try prometheus.query("event_consumer_lag")
            let jobs = Set(lags.filter { $0.value == Double(expected) }.compactMap { $0.labels["job"] })
            return jobs == ["bearer", "tls"]
        }
        for (url, target) in try prometheus.targets() {
            #expect(target.health == "up", "\(url): \(target.error)")
            #expect(target.error.isEmpty, "\(url): \(target.error)")
        }
        let redisUp = try prometheus.query("event_redis_up")
        #expect(redisUp.count == 2 && redisUp.allSatisfy { $0.value == 1 })
        // Counters keep their _total name through OpenMetrics' family naming.
        #expect(try prometheus.query("event_exporter_polls_total").count == 2)
        let pending = try prometheus.query("event_consumer_pending")
        let expectedPending = try h.conn.pendingCount("events:chat", group: "signalr-consumers")
        #expect(pending.count == 2, "one series a job")
        #expect(pending.allSatisfy { Int($0.value) == expectedPending })
    }
}
