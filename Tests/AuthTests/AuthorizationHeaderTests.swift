import Testing

@testable import Auth

@Suite("Authorization header parsing")
struct AuthorizationHeaderTests {
    @Test func schemes() {
        #expect(AuthorizationHeader(nil) == .absent)
        #expect(AuthorizationHeader(" \t ") == .absent)
        #expect(AuthorizationHeader("Bearer abc") == .bearer(token: "abc"))
        #expect(AuthorizationHeader("bEaReR \t abc ") == .bearer(token: "abc"))
        #expect(AuthorizationHeader("Bearer ") == .unusable)
        #expect(AuthorizationHeader("Bearer") == .unusable)
        #expect(AuthorizationHeader("Digest abc") == .unusable)
        #expect(AuthorizationHeader("BASIC dTpwOnE=") == .basic(user: "u", password: "p:q"))
        #expect(AuthorizationHeader("Basic dTo=") == .basic(user: "u", password: ""))
        #expect(AuthorizationHeader("Basic dXNlcg==") == .unusable)  // "user": no colon
        #expect(AuthorizationHeader("Basic !!!") == .unusable)
        #expect(AuthorizationHeader("Basic //4=") == .unusable)  // not UTF-8
    }

    @Test func descriptionHidesCredentials() {
        let header = AuthorizationHeader("Basic dTpodW50ZXIy")  // u:hunter2
        #expect(!"\(header)".contains("hunter2"))
        #expect(!String(reflecting: AuthorizationHeader("Bearer s3cr3t-t0k3n")).contains("s3cr3t"))
    }
}
