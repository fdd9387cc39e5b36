import Foundation
import JWTKit
import Testing

@testable import Auth

/// What an attacker can send instead of a token: every case is `.invalid`, none crashes.
@Suite("Malformed and forged JWTs")
struct MalformedTokenTests {
    let dir: TempDirectory
    let secret = Fixtures.secret(64)
    let credentials: Credentials

    init() throws {
        dir = try TempDirectory()
        credentials = try Fixtures.load(AuthSettings(jwtHMACSecretFile: try dir.write("secret", bytes: secret)))
    }

    /// Why the verifier refuses `token` (nil: it accepts it), checking that `authorize` agrees.
    func rejection(_ token: String) -> JWTRejection? {
        let reason: JWTRejection?
        do {
            try credentials.jwt!.verify(token, now: Date())
            reason = nil
        } catch {
            reason = error
        }
        #expect(credentials.authorize(authorization: "Bearer \(token)") == (reason == nil ? .allowed : .invalid))
        return reason
    }

    @Test func algNoneIsRefused() async throws {
        #expect(rejection(Tokens.unsecured()) == .unsupportedAlgorithm)
        #expect(rejection(Tokens.unsecured(alg: "None")) == .unsupportedAlgorithm)
        #expect(rejection(Tokens.unsecured(alg: "NONE")) == .unsupportedAlgorithm)
        // A valid token's signature stripped and its alg set to none.
        let token = try await Tokens.hmac(secret)
        let parts = token.split(separator: ".")
        #expect(rejection(Tokens.b64(#"{"alg":"none"}"#) + "." + parts[1] + ".") == .unsupportedAlgorithm)
        #expect(rejection(Tokens.b64(#"{"alg":"none"}"#) + "." + parts[1] + "." + parts[2]) == .unsupportedAlgorithm)
    }

    /// Found by the jwt fuzz target (Tests/Fuzz/regressions/jwt): a claim given twice was read
    /// as its first value, where RFC 7519 §4 wants the token refused (or the last one used, as
    /// most JWT libraries do). A token with `"exp": <valid>, "exp": <long past>` passed.
    @Test("a claim or header parameter given twice is refused", arguments: [
        #"{"sub":"scraper","exp":EXP,"exp":1}"#,
        #"{"exp":EXP,"sub":"scraper","\u0065xp":1}"#,
        #"{"exp":EXP,"iss":"a","iss":"b"}"#,
    ])
    func duplicateClaims(template: String) throws {
        let exp = Int(Date().addingTimeInterval(600).timeIntervalSince1970)
        let payload = template.replacingOccurrences(of: "EXP", with: String(exp))
        let token = try Tokens.handMadeHMAC(secret: secret, payload: payload, in: dir)
        #expect(rejection(token) == .malformed)
    }

    @Test func duplicateHeaderParameterIsRefusedBeforeTheSignature() throws {
        let token = try Tokens.handMadeHMAC(secret: secret, in: dir)
        #expect(rejection(Tokens.replaceHeader(token, with: #"{"alg":"HS256","alg":"HS256"}"#)) == .malformed)
    }

    /// The duplicate check reads only the top level: commas and repeated names inside strings
    /// and nested values are no duplicates.
    @Test func nestedRepeatsAreNoDuplicates() throws {
        let exp = Int(Date().addingTimeInterval(600).timeIntervalSince1970)
        let payload = #"{"sub":"a,\"b,","exp":\#(exp),"ctx":{"exp":1,"exp":2},"list":[1,",",{"x":{}}]}"#
        #expect(rejection(try Tokens.handMadeHMAC(secret: secret, payload: payload, in: dir)) == nil)
    }

    @Test func unknownAlgorithmsAreRefused() async throws {
        let token = try await Tokens.hmac(secret)
        for header in [#"{"alg":"hs256"}"#, #"{"alg":"HS1"}"#, #"{"alg":"EdDSA"}"#, #"{"alg":""}"#, #"{"typ":"JWT"}"#] {
            let relabelled = Tokens.replaceHeader(token, with: header)
            let reason = rejection(relabelled)
            #expect(reason == .unsupportedAlgorithm || reason == .malformed, "\(header)")
        }
    }

    @Test func criticalHeaderIsRefused() async throws {
        let token = try await Tokens.hmac(secret)
        let forged = try Tokens.handMadeHMAC(secret: secret, in: dir)
        #expect(rejection(forged) == nil, "the hand-made token is otherwise fine")
        let crit = Tokens.b64(#"{"alg":"HS256","crit":["b64"],"b64":false}"#) + "." + token.split(separator: ".")[1]
        let mac = try OpenSSL.hmac("sha256", key: secret, data: Array(crit.utf8), in: dir)
        #expect(rejection(crit + "." + Tokens.b64(mac)) == .criticalHeader)
    }

    @Test func tamperedPayloadFailsOnItsSignature() async throws {
        let token = try await Tokens.hmac(secret)
        #expect(rejection(token) == nil)
        let tampered = Tokens.tamperPayload(token) { $0.replacingOccurrences(of: "scraper", with: "admin") }
        #expect(tampered != token)
        #expect(rejection(tampered) == .badSignature)
        // Extending expiry is tampering too.
        let extended = Tokens.tamperPayload(token) { _ in Tokens.payloadJSON(exp: Date().addingTimeInterval(86400 * 365)) }
        #expect(rejection(extended) == .badSignature)
    }

    @Test func tamperedSignatureIsRefused() async throws {
        let rsa = try OpenSSL.makeRSA("app", in: dir)
        let rsaCredentials = try Fixtures.load(AuthSettings(jwtPublicKeyFile: rsa.publicPath))
        for token in [try await Tokens.hmac(secret), try await Tokens.rsa(rsa.privatePEM)] {
            let tampered = Tokens.tamperSignature(token)
            #expect(rsaCredentials.authorize(authorization: "Bearer \(tampered)") == .invalid)
            #expect(credentials.authorize(authorization: "Bearer \(tampered)") == .invalid)
        }
        let hmacToken = try await Tokens.hmac(secret)
        #expect(rejection(Tokens.tamperSignature(hmacToken)) == .badSignature)
        // Truncated and empty signatures.
        let parts = hmacToken.split(separator: ".")
        #expect(rejection(parts[0] + "." + parts[1] + "." + Tokens.b64(Tokens.unb64(parts[2]).prefix(16))) == .badSignature)
        #expect(rejection(hmacToken.split(separator: ".")[0...1].joined(separator: ".") + ".") == .badSignature)
    }

    /// The last character of a 32-byte signature carries 4 unused bits: a string that differs only
    /// there decodes to the same bytes. Strict decoding refuses the non-canonical spelling.
    @Test func nonCanonicalBase64IsRefused() async throws {
        let token = try await Tokens.hmac(secret)
        let last = token.last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        let sibling = alphabet[index ^ 1]  // same top bits, a low bit set or cleared
        let respelled = String(token.dropLast()) + String(sibling)
        #expect(respelled != token)
        #expect(rejection(respelled) == .malformed)
        #expect(Base64URL.decode("QQ") == [0x41])
        #expect(Base64URL.decode("QR") == nil)
        #expect(Base64URL.decode("QQ==") == nil)
        #expect(Base64URL.decode("Q") == nil)
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("") == [])
    }

    @Test func oversizedTokenIsRefusedEvenWhenSigned() async throws {
        var claims = TestClaims.valid()
        claims.pad = String(repeating: "x", count: 5000)
        let fits = try await Tokens.hmac(secret, .sha256, claims)
        #expect(fits.utf8.count < 8192)
        #expect(rejection(fits) == nil)
        claims.pad = String(repeating: "x", count: 7000)
        let oversized = try await Tokens.hmac(secret, .sha256, claims)
        #expect(oversized.utf8.count > 8192)
        #expect(rejection(oversized) == .oversized)
        #expect(rejection(String(repeating: "A", count: 1_000_000)) == .oversized)
    }

    @Test func wrongSegmentCounts() async throws {
        let token = try await Tokens.hmac(secret)
        let parts = token.split(separator: ".").map(String.init)
        for candidate in [parts[0], parts[0] + "." + parts[1], token + "." + parts[2], token + ".", "." + token, "..", "...", "."] {
            #expect(rejection(candidate) == .malformed, "\(candidate.prefix(20))")
        }
    }

    @Test func malformedBase64AndJSON() throws {
        let payload = Tokens.b64(Tokens.payloadJSON())
        let cases = [
            "!!!." + payload + ".abc",  // not base64url
            Tokens.b64("{\"alg\":\"HS256\"}") + "=." + payload + ".abc",  // padding
            Tokens.b64("not json") + "." + payload + ".abc",
            Tokens.b64("[\"HS256\"]") + "." + payload + ".abc",
            Tokens.b64("{\"alg\":256}") + "." + payload + ".abc",
            Tokens.b64("{\"alg\":\"HS256\",\"kid\":7}") + "." + payload + ".abc",
            Tokens.b64("{\"alg\":\"HS256\"") + "." + payload + ".abc",
            Tokens.b64("{\"alg\":\"HS256\"}") + ".%%%.abc",
            Tokens.b64("{\"alg\":\"HS256\"}") + "." + payload + ".a b",
            "é.é.é",
            "",
        ]
        for token in cases {
            #expect(rejection(token) == .malformed, "\(token.prefix(24))")
        }
        // A payload that is not JSON, correctly signed: malformed, after the signature check.
        let signedGarbage = try Tokens.handMadeHMAC(secret: secret, payload: "this is not json", in: dir)
        #expect(rejection(signedGarbage) == .malformed)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCabc012-_.=+/ {}\":,é\u{0}")
        for _ in 0..<2000 {
            let length = Int.random(in: 0...300, using: &generator)
            let token = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(credentials.authorize(authorization: "Bearer " + token) != .allowed)
        }
    }
}
