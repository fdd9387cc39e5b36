import Foundation
import Testing

@testable import Auth

/// `Credentials.load` bridges to jwt-kit's actor; called from many pool threads at once it must
/// not deadlock (a plain Task-and-semaphore bridge does, with 2 cores).
@Suite("Loading from async contexts")
struct BlockingAsyncTests {
    @Test(.timeLimit(.minutes(1)))
    func concurrentLoadsFromThePoolComplete() async throws {
        let dir = try TempDirectory()
        let secret = Fixtures.secret(64)
        let path = try dir.write("secret", bytes: secret)
        let token = try await Tokens.hmac(secret)
        let count = 4 * ProcessInfo.processInfo.activeProcessorCount + 4
        let allowed = try await withThrowingTaskGroup(of: AuthDecision.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let credentials = try Credentials.load(AuthSettings(jwtHMACSecretFile: path)) { _, _ in false }
                    return credentials.authorize(authorization: "Bearer \(token)")
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 == .allowed ? 1 : 0 }
        }
        #expect(allowed == count)
    }

    @Test func returnsTheOperationsValue() {
        #expect(BlockingAsync.run { () async -> Int in
            await Task.yield()
            return 42
        } == 42)
    }
}
