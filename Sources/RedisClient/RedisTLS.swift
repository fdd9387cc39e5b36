internal import CHiredis
import Foundation
public import RedisProtocol

/// The client side of `rediss://`: GnuTLS credentials loaded once from `--redis.tls.*` and
/// shared by every connection (GnuTLS allows that once they are set up). Immutable after init.
public final class RedisTLS: @unchecked Sendable {
    /// A `--redis.tls.*` flag whose file cannot be used: the flag's name and why, never the
    /// file's contents.
    public struct FlagProblem: Error, Sendable, CustomStringConvertible {
        public let flag: String
        public let problem: String
        public var description: String { "\(flag): \(problem)" }
    }

    public let options: TLSClientOptions
    let credentials: gnutls_certificate_credentials_t

    public init(_ options: TLSClientOptions) throws(FlagProblem) {
        self.options = options
        if (options.certFile == nil) != (options.keyFile == nil) {
            throw FlagProblem(flag: options.certFile == nil ? "--redis.tls.cert-file" : "--redis.tls.key-file",
                              problem: "a client certificate needs both --redis.tls.cert-file and --redis.tls.key-file")
        }
        for (flag, path) in [("--redis.tls.ca-file", options.caFile), ("--redis.tls.cert-file", options.certFile),
                             ("--redis.tls.key-file", options.keyFile)] {
            if let path, FileManager.default.contents(atPath: path) == nil {
                throw FlagProblem(flag: flag, problem: "cannot read \(path)")
            }
        }
        var credentials: gnutls_certificate_credentials_t?
        var what: Int32 = 0
        let rc = slx_tls_client_credentials(&credentials, options.caFile, options.certFile, options.keyFile, &what)
        guard rc == 0, let credentials else {
            let reason = String(cString: gnutls_strerror(rc))
            switch what {
            case 1: throw FlagProblem(flag: "--redis.tls.ca-file", problem: "no usable PEM certificate in \(options.caFile ?? ""): \(reason)")
            case 2: throw FlagProblem(flag: "--redis.tls.cert-file", problem: "no usable PEM certificate in \(options.certFile ?? ""): \(reason)")
            case 3: throw FlagProblem(flag: "--redis.tls.key-file", problem: "no usable PEM private key in \(options.keyFile ?? ""): \(reason)")
            case 4: throw FlagProblem(flag: "--redis.tls.key-file", problem: "the key does not belong to the certificate of --redis.tls.cert-file: \(reason)")
            case 5: throw FlagProblem(flag: "--redis.tls.ca-file", problem: "cannot load the system's CAs (\(reason)); give a CA bundle")
            default: throw FlagProblem(flag: "--redis.tls.ca-file", problem: "cannot set up TLS: \(reason)")
            }
        }
        self.credentials = credentials
    }

    deinit { gnutls_certificate_free_credentials(credentials) }

    var hasClientCertificate: Bool { options.certFile != nil }
}

/// A TLS 1.2/1.3 session over a connected socket. Failures are `RedisError(.tls)` with what is
/// wrong in words (unknown CA, name mismatch, expired, an alert from the server).
final class TLSChannel: ByteChannel {
    private let socket: SocketChannel
    private let session: gnutls_session_t
    private let tls: RedisTLS
    private let timeoutMs: Int32
    /// Nothing has been read yet: the first failure of a session is likely a refusal of it.
    private var firstRead = true

    init(over socket: SocketChannel, host: String, tls: RedisTLS, timeoutSeconds: Double) throws(RedisError) {
        self.socket = socket
        self.tls = tls
        let name = tls.options.serverName ?? host
        let sni: String? = Self.isIPAddress(name) ? nil : name
        let verifyName: String? = tls.options.insecureSkipVerify ? nil : name
        var session: gnutls_session_t?
        let ms = Int32(max(1, min(timeoutSeconds * 1000, Double(Int32.max))))
        timeoutMs = ms
        let rc = slx_tls_handshake(&session, tls.credentials, socket.fd, sni, verifyName, ms)
        guard let session else { throw RedisError(.tls, "cannot start a TLS session: \(Self.text(rc))") }
        self.session = session
        if rc < 0 { throw Self.handshakeError(rc, session: session, name: name, tls: tls) }
    }

    deinit { gnutls_deinit(session) }

    func send(_ bytes: [UInt8]) throws(RedisError) {
        let rc = bytes.withUnsafeBytes { slx_tls_send_all(session, $0.baseAddress, $0.count, timeoutMs) }
        if rc < 0 { throw recordError(Int(rc), writing: true) }
    }

    func receive(into buffer: inout [UInt8]) throws(RedisError) -> Int {
        let n = buffer.withUnsafeMutableBytes { slx_tls_receive(session, $0.baseAddress, $0.count, timeoutMs) }
        if n < 0 { throw recordError(n, writing: false) }
        firstRead = false
        return n
    }

    private func recordError(_ code: Int, writing: Bool) -> RedisError {
        let rc = Int32(code)
        if rc == GNUTLS_E_AGAIN { return RedisError(.timeout, writing ? "write: timed out" : "read: timed out") }
        if rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR {
            // In TLS 1.3 a server checks the client's certificate after the client's handshake
            // has ended, and may close the socket before its alert is read. A server that
            // asked for a certificate and closed before its first answer refused ours.
            if firstRead, gnutls_certificate_client_get_request_status(session) != 0 {
                return Self.certificateRefusal(tls: tls, detail: "the server closed the session before its alert was read")
            }
            // The socket closed under the session: the server went away, as over plain TCP.
            return RedisError(.io, "connection closed by the server")
        }
        if rc == GNUTLS_E_FATAL_ALERT_RECEIVED {
            return Self.alertError(session: session, tls: tls)
        }
        return RedisError(.tls, Self.text(rc))
    }

    private static func handshakeError(_ rc: Int32, session: gnutls_session_t, name: String, tls: RedisTLS) -> RedisError {
        if rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR {
            return RedisError(.tls, "the server's certificate is refused: " + verifyProblems(session: session, name: name, tls: tls))
        }
        if rc == GNUTLS_E_FATAL_ALERT_RECEIVED { return alertError(session: session, tls: tls) }
        if rc == GNUTLS_E_TIMEDOUT { return RedisError(.timeout, "TLS handshake: no answer in time") }
        return RedisError(.tls, "TLS handshake failed: \(text(rc))")
    }

    /// The verification status in words, each problem once.
    private static func verifyProblems(session: gnutls_session_t, name: String, tls: RedisTLS) -> String {
        let status = gnutls_session_get_verify_cert_status(session)
        var problems: [String] = []
        func has(_ flag: gnutls_certificate_status_t) -> Bool { status & flag.rawValue != 0 }
        if has(GNUTLS_CERT_SIGNER_NOT_FOUND) {
            problems.append("signed by an unknown CA (not in \(tls.options.caFile == nil ? "the system's CAs" : "--redis.tls.ca-file"))")
        }
        if has(GNUTLS_CERT_UNEXPECTED_OWNER) {
            problems.append("not issued for '\(name)' (the name checked; --redis.tls.server-name sets another)")
        }
        if has(GNUTLS_CERT_EXPIRED) { problems.append("expired") }
        if has(GNUTLS_CERT_NOT_ACTIVATED) { problems.append("not valid yet") }
        if has(GNUTLS_CERT_REVOKED) { problems.append("revoked") }
        if has(GNUTLS_CERT_SIGNER_NOT_CA) { problems.append("signed by a certificate that is not a CA") }
        if has(GNUTLS_CERT_INSECURE_ALGORITHM) { problems.append("signed with an insecure algorithm") }
        if problems.isEmpty {
            var text = [CChar](repeating: 0, count: 512)
            slx_tls_status_text(status, &text, text.count)
            problems.append(SocketChannel.text(text))
        }
        return problems.joined(separator: "; ")
    }

    /// A fatal alert from the server; the likely cause when it is one of the refusals of a
    /// missing client certificate.
    private static func alertError(session: gnutls_session_t, tls: RedisTLS) -> RedisError {
        let alert = gnutls_alert_get(session)
        let name = gnutls_alert_get_name(alert).map { String(cString: $0) } ?? "alert \(alert.rawValue)"
        let refusals: Set<UInt32> = [GNUTLS_A_CERTIFICATE_REQUIRED.rawValue, GNUTLS_A_HANDSHAKE_FAILURE.rawValue,
                                     GNUTLS_A_BAD_CERTIFICATE.rawValue, GNUTLS_A_UNKNOWN_CA.rawValue,
                                     GNUTLS_A_ACCESS_DENIED.rawValue]
        if refusals.contains(alert.rawValue) { return certificateRefusal(tls: tls, detail: "TLS alert: \(name)") }
        return RedisError(.tls, "the server ended the TLS session: \(name)")
    }

    private static func certificateRefusal(tls: RedisTLS, detail: String) -> RedisError {
        let hint = tls.hasClientCertificate
            ? "the server refused our client certificate (--redis.tls.cert-file)"
            : "the server requires a client certificate: give --redis.tls.cert-file and --redis.tls.key-file"
        return RedisError(.tls, "\(hint) (\(detail))")
    }

    static func isIPAddress(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    static func text(_ rc: Int32) -> String { String(cString: gnutls_strerror(rc)) }
}
