import Foundation

/// An Authorization header value split into its scheme and credentials (RFC 9110 §11.4).
enum AuthorizationHeader: Equatable {
    /// No header, or only whitespace: the client sent no credentials.
    case absent
    case bearer(token: Substring)
    case basic(user: String, password: String)
    /// Another scheme, a scheme with nothing after it, or Basic credentials that do not decode.
    case unusable

    /// Longer Basic credentials are refused before decoding; libmicrohttpd bounds the header too.
    static let maximumCredentialsBytes = 8192

    init(_ value: String?) {
        guard let value else { self = .absent; return }
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { self = .absent; return }
        guard let gap = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            self = .unusable
            return
        }
        // Scheme names are case-insensitive; the credentials are not.
        let scheme = trimmed[..<gap].lowercased()
        let credentials = trimmed[gap...].trimmingWhitespace()
        switch scheme {
        case "bearer" where !credentials.isEmpty:
            self = .bearer(token: credentials)
        case "basic":
            self = Self.decodeBasic(credentials)
        default:
            self = .unusable
        }
    }

    /// `base64(user ":" password)`, RFC 7617; the user id ends at the first colon.
    private static func decodeBasic(_ credentials: Substring) -> AuthorizationHeader {
        guard !credentials.isEmpty, credentials.utf8.count <= maximumCredentialsBytes,
            let data = Data(base64Encoded: String(credentials)),
            let pair = String(validating: [UInt8](data), as: UTF8.self),
            let colon = pair.firstIndex(of: ":")
        else { return .unusable }
        return .basic(user: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
    }
}

// A decoded header holds a token or a password: never print it.
extension AuthorizationHeader: CustomStringConvertible, CustomReflectable {
    var description: String {
        switch self {
        case .absent: "absent"
        case .bearer: "bearer(redacted)"
        case .basic(let user, _): "basic(user: \(user), password redacted)"
        case .unusable: "unusable"
        }
    }
    var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
