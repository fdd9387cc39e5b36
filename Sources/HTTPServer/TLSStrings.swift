internal import CMicroHTTPD
import Foundation

/// What a TLS daemon is started with: malloc'ed, NUL-terminated copies of the PEM strings (MHD
/// keeps the pointers, so the server frees them, wiped, only after `MHD_stop_daemon`), checked
/// with GnuTLS first so that a refusal says which part is wrong and never what it holds.
struct TLSStrings {
    let key: UnsafeMutablePointer<CChar>
    let certificate: UnsafeMutablePointer<CChar>
    /// The trust list is also what makes MHD ask for a client certificate. Without a client CA,
    /// `.request` and `.requireAny` ask with the server certificate as the list, and a presented
    /// certificate is never checked against it (it counts as unverified).
    let trust: UnsafeMutablePointer<CChar>?
    /// The mode to enforce, or nil when no client certificate is asked for.
    let clientAuth: TLSSettings.ClientAuth?
    /// Whether presented client certificates are verified (a client CA was given).
    let verifies: Bool

    init(_ tls: TLSSettings) throws {
        var trustPEM: String?
        switch tls.clientAuth {
        case .none:
            clientAuth = nil
            verifies = false
        case .request, .requireAny:
            trustPEM = tls.clientCAPEM ?? tls.certificatePEM
            clientAuth = tls.clientAuth
            verifies = tls.clientCAPEM != nil
        case .verifyIfGiven, .requireAndVerify:
            guard let ca = tls.clientCAPEM else {
                throw HTTPServerError(description: "TLS client certificate verification needs a client CA")
            }
            trustPEM = ca
            clientAuth = tls.clientAuth
            verifies = true
        }
        var what: Int32 = 0
        let rc = slx_tls_check(tls.privateKeyPEM, tls.certificatePEM, trustPEM, &what)
        if rc != 0 {
            let part = switch what {
            case 1: "TLS certificate refused"
            case 2: "TLS private key refused"
            case 3: "TLS private key does not fit the certificate"
            default: "TLS client CA certificates refused"
            }
            throw HTTPServerError(description: "\(part): \(String(cString: gnutls_strerror(rc)))")
        }
        key = strdup(tls.privateKeyPEM)!
        certificate = strdup(tls.certificatePEM)!
        trust = trustPEM.map { strdup($0)! }
    }

    /// Wipes and frees the copies; call once, after the daemon has stopped (or failed to start).
    func free() {
        for string in [key, certificate, trust].compactMap({ $0 }) {
            explicit_bzero(string, strlen(string))
            Foundation.free(string)
        }
    }
}
