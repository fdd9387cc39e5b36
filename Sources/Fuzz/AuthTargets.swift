import Auth
import Crypto
import Foundation

/// Targets for what a client sends to the protected paths, and the web config file.
enum AuthTargets {
    /// The whole input is the Authorization header value.
    static func authorization(_ data: [UInt8]) {
        let header = String(decoding: data, as: UTF8.self)
        let decision = decide(header)
        if decision == .allowed {
            // Only the fixture's own static token, user, or a JWT its key signed may pass.
            precondition(header.contains(AuthFixture.staticToken) || header.lowercased().contains("basic")
                            || signedByFixture(header),
                         "an Authorization header with no credential of the fixture was allowed")
        }
    }

    /// `[header JSON] NUL payload JSON`: a JWT signed with the fixture's secret, so the claims
    /// are reached (without NUL the header is `{"alg":"HS256","typ":"JWT"}`). The HMAC is the
    /// one the header names, when it names HS384 or HS512.
    static func jwt(_ data: [UInt8]) {
        let parts = data.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let header = parts.count == 2 ? Array(parts[0]) : Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)
        let payload = Array(parts.count == 2 ? parts[1] : parts[0])
        let signingInput = base64URL(header) + "." + base64URL(payload)
        let headerText = String(decoding: header, as: UTF8.self)
        let key = SymmetricKey(data: AuthFixture.hmacSecret)
        let signature: [UInt8] =
            if headerText.contains("HS512") {
                Array(HMAC<SHA512>.authenticationCode(for: Array(signingInput.utf8), using: key))
            } else if headerText.contains("HS384") {
                Array(HMAC<SHA384>.authenticationCode(for: Array(signingInput.utf8), using: key))
            } else {
                Array(HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key))
            }
        let decision = decide("Bearer " + signingInput + "." + base64URL(signature))
        if decision == .allowed {
            // The claim rules: exp required and in the future (30 s leeway), iss and aud as configured.
            guard let claims = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return }
            let exp = (claims["exp"] as? NSNumber)?.doubleValue
            precondition(exp != nil && exp! > Date().timeIntervalSince1970 - 31, "a JWT without a valid exp was allowed")
            precondition(claims["iss"] as? String == AuthFixture.issuer, "a JWT of another issuer was allowed")
        }
    }

    /// The text of a web config. Paths into /dev, /proc and /sys are left out (some never end).
    static func webConfig(_ data: [UInt8]) {
        guard let text = String(validating: data, as: UTF8.self),
              !text.contains("/dev"), !text.contains("/proc"), !text.contains("/sys") else { return }
        guard let config = try? WebConfig.parse(text: text, path: "\(AuthFixture.directory)/web.yml") else { return }
        _ = String(describing: config)
        if let tls = config.tls { _ = String(describing: tls) }
    }

    /// Whether the header holds a JWT whose signature is the fixture secret's HMAC of its
    /// first two segments (whatever else is wrong with it).
    private static func signedByFixture(_ header: String) -> Bool {
        // Whitespace as the header parser trims it (Character.isWhitespace: a vertical tab too).
        let segments = header.split(whereSeparator: \.isWhitespace).last?.split(separator: ".") ?? []
        guard segments.count == 3 else { return false }
        let input = Array("\(segments[0]).\(segments[1])".utf8)
        let key = SymmetricKey(data: AuthFixture.hmacSecret)
        let macs: [[UInt8]] = [
            Array(HMAC<SHA256>.authenticationCode(for: input, using: key)),
            Array(HMAC<SHA384>.authenticationCode(for: input, using: key)),
            Array(HMAC<SHA512>.authenticationCode(for: input, using: key)),
        ]
        return macs.map(base64URL).contains(String(segments[2]))
    }

    private static func decide(_ header: String) -> AuthDecision {
        switch AuthFixture.credentials.check(authorization: header, client: "fuzz") {
        case .decided(let decision): decision
        case .needsPasswordCheck(let check): check.run()
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
