import Foundation
import Testing

@testable import Auth

/// Prints what one `authorize` call costs; measures, asserts nothing about time.
@Suite("Timing", .serialized)
struct AuthTimingTests {
    static func median(of calls: Int, _ body: () -> Void) -> Duration {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(calls)
        for _ in 0..<calls {
            samples.append(clock.measure(body))
        }
        return samples.sorted()[calls / 2]
    }

    @Test func authorizeRS256AndHS256() async throws {
        let dir = try TempDirectory()
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let secret = Fixtures.secret(32)
        let credentials = try Fixtures.load(
            AuthSettings(jwtHMACSecretFile: try dir.write("secret", bytes: secret), jwtPublicKeyFile: rsa.publicPath))
        let rs256 = "Bearer " + (try await Tokens.rsa(rsa.privatePEM))
        let hs256 = "Bearer " + (try await Tokens.hmac(secret))
        #expect(credentials.authorize(authorization: rs256) == .allowed)
        #expect(credentials.authorize(authorization: hs256) == .allowed)

        let rsMedian = Self.median(of: 200) { _ = credentials.authorize(authorization: rs256) }
        let hsMedian = Self.median(of: 200) { _ = credentials.authorize(authorization: hs256) }
        print("authorize median of 200 calls: RS256 \(rsMedian), HS256 \(hsMedian)")
    }
}
