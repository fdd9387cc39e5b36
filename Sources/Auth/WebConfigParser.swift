import Foundation
internal import Yams

/// Turns a `--web.config.file` into a `WebConfig`. Strict like exporter-toolkit: an unknown key
/// is an error, because a misspelt security setting must not be silently ignored. Messages name
/// the file and the key, never a value that could be a hash or a password.
struct WebConfigParser {
    static let flag = AuthSettings.Flag.webConfigFile

    /// Go TLS tuning knobs exporter-toolkit has; accepted so that existing files load, and
    /// ignored because libmicrohttpd/GnuTLS chooses protocol versions and ciphers itself.
    static let ignoredTLSKeys: Set<String> = [
        "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites", "curve_preferences",
    ]
    static let tlsKeys: Set<String> = ["cert_file", "key_file", "client_auth_type", "client_ca_file"]

    let path: String
    /// On a reload a file that holds only comments configures nothing (no TLS, no users);
    /// at start it is an error.
    var emptyIsNothing = false

    func load() throws(AuthConfigError) -> WebConfig {
        try parse(CredentialFile.readText(path, flag: Self.flag))
    }

    /// The file's text turned into a config; files it names are read relative to `path`.
    func parse(_ text: String) throws(AuthConfigError) -> WebConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw failure("is not valid YAML (\(Self.summary(of: error)))")
        }
        guard let root else {
            if emptyIsNothing { return WebConfig() }
            throw failure("is empty")
        }
        guard let top = root.mapping else { throw failure("must be a YAML mapping at the top level") }

        var config = WebConfig()
        for (keyNode, value) in top {
            let key = try name(of: keyNode, in: "the top level")
            switch key {
            case "tls_server_config":
                config.tls = try parseTLS(value)
            case "basic_auth_users":
                config.basicAuthUsers = try parseUsers(value)
            case "http_server_config":
                // HTTP/2 and extra response headers: not something this server offers; ignored.
                continue
            default:
                throw failure("unknown key \(Self.quoted(key, keyNode)) at the top level")
            }
        }
        return config
    }

    private func parseTLS(_ node: Node) throws(AuthConfigError) -> WebConfig.TLS? {
        if isNull(node) { return nil }
        guard let mapping = node.mapping else { throw failure("tls_server_config must be a mapping") }
        var values: [String: String] = [:]
        for (keyNode, value) in mapping {
            let key = try name(of: keyNode, in: "tls_server_config")
            if Self.ignoredTLSKeys.contains(key) { continue }
            guard Self.tlsKeys.contains(key) else {
                throw failure("unknown key \(Self.quoted(key, keyNode)) in tls_server_config")
            }
            values[key] = try scalar(value, key: "tls_server_config.\(key)")
        }

        let certFile = values["cert_file"]
        let keyFile = values["key_file"]
        guard let certFile else {
            throw failure(keyFile == nil
                ? "tls_server_config needs cert_file and key_file"
                : "tls_server_config has key_file but no cert_file")
        }
        guard let keyFile else { throw failure("tls_server_config has cert_file but no key_file") }

        let clientAuth: WebConfig.ClientAuth
        if let name = values["client_auth_type"] {
            guard let known = WebConfig.ClientAuth(rawValue: name) else {
                let valid = WebConfig.ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")
                throw failure("tls_server_config.client_auth_type \"\(name)\" is not one of \(valid)")
            }
            clientAuth = known
        } else {
            clientAuth = .noClientCert
        }
        let caFile = values["client_ca_file"]
        if clientAuth.verifiesClientCertificate, caFile == nil {
            throw failure("tls_server_config.client_auth_type \(clientAuth.rawValue) needs client_ca_file")
        }
        // As exporter-toolkit: a CA without a policy that uses it is a mistake (the operator
        // believes client certificates are checked), not a harmless extra.
        if clientAuth == .noClientCert, caFile != nil {
            throw failure("tls_server_config.client_ca_file is set but client_auth_type is NoClientCert")
        }

        let certificate = "-----BEGIN CERTIFICATE-----"
        let certPEM = try readPEM(certFile, key: "cert_file", marker: certificate, kind: "certificate")
        let keyPEM = try readPEM(keyFile, key: "key_file", marker: "PRIVATE KEY-----", kind: "private key")
        let caPEM = try caFile.map { (file) throws(AuthConfigError) in
            try readPEM(file, key: "client_ca_file", marker: certificate, kind: "certificate")
        }
        return WebConfig.TLS(certPEM: certPEM, keyPEM: keyPEM, clientAuth: clientAuth, clientCAPEM: caPEM)
    }

    private func parseUsers(_ node: Node) throws(AuthConfigError) -> [String: String] {
        if isNull(node) { return [:] }
        guard let mapping = node.mapping else {
            throw failure("basic_auth_users must be a mapping of user name to bcrypt hash")
        }
        var users: [String: String] = [:]
        for (keyNode, value) in mapping {
            let user = try name(of: keyNode, in: "basic_auth_users")
            // RFC 7617: the user id ends at the first colon, so such a user could never log in.
            guard !user.isEmpty, !user.contains(":") else {
                throw failure("basic_auth_users: a user name must be non-empty and contain no ':'")
            }
            guard let hash = try scalar(value, key: "basic_auth_users.\(user)"), let cost = BcryptHash.cost(hash) else {
                throw failure(
                    "basic_auth_users: the value for user \"\(user)\" is not a bcrypt hash ($2a$, $2b$ or $2y$)")
            }
            guard cost <= BcryptHash.maximumCost else {
                throw failure(
                    "basic_auth_users: the bcrypt hash for user \"\(user)\" has cost \(cost), above the maximum of "
                        + "\(BcryptHash.maximumCost) (every check would take \(1 << (cost - BcryptHash.maximumCost)) times "
                        + "as long); make it again with htpasswd -nbBC \(BcryptHash.maximumCost)")
            }
            users[user] = hash
        }
        return users
    }

    /// A file named in the config: relative to the config's directory, read whole, and checked
    /// to be the kind of PEM expected (by its armour line only; GnuTLS parses it at start).
    private func readPEM(_ file: String, key: String, marker: String, kind: String) throws(AuthConfigError) -> String {
        let resolved = resolve(file)
        let text: String
        do {
            text = try CredentialFile.readText(resolved, flag: Self.flag)
        } catch {
            throw failure("tls_server_config.\(key): \(error.problem)")
        }
        guard text.contains(marker) else {
            throw failure("tls_server_config.\(key): \"\(resolved)\" holds no PEM \(kind)")
        }
        return text
    }

    func resolve(_ file: String) -> String {
        if file.hasPrefix("/") { return file }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.path
    }

    private func name(of node: Node, in place: String) throws(AuthConfigError) -> String {
        guard let scalar = node.scalar else { throw failure("a key in \(place) is not a plain name") }
        return scalar.string
    }

    /// A scalar value as text; nil for YAML null (`key:` with nothing, or `~`).
    private func scalar(_ node: Node, key: String) throws(AuthConfigError) -> String? {
        if isNull(node) { return nil }
        guard let scalar = node.scalar else { throw failure("\(key) must be a single value") }
        return scalar.string
    }

    private func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    /// An unknown key, quoted when it looks like a config key (a misspelt `basic_auth_user` is
    /// worth showing) and otherwise located by line only: a mis-indented file can turn a
    /// password or hash into a key.
    static func quoted(_ key: String, _ node: Node) -> String {
        let looksLikeConfigKey = key.utf8.count <= 64 && key.first?.isLetter == true
            && key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        if looksLikeConfigKey { return "\"\(key)\"" }
        return node.mark.map { "on line \($0.line)" } ?? "(not shown)"
    }

    private func failure(_ problem: String) -> AuthConfigError {
        AuthConfigError(flag: Self.flag, problem: "\"\(path)\": \(problem)")
    }

    /// Where and what libyaml objected to. Yams' own description quotes the offending line,
    /// which could be a hash, so only the position and libyaml's fixed problem text are kept.
    static func summary(of error: any Error) -> String {
        guard let yaml = error as? YamlError else { return "unreadable" }
        switch yaml {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(_, let context):
            return "line \(context.mark.line): a key appears twice in one mapping"
        case .reader:
            return "not readable text"
        default:
            return "unreadable"
        }
    }
}

extension WebConfig {
    /// Parses web config text as if read from `path` (TLS files it names are read relative to
    /// it): the parser without the file read, for the fuzzer.
    package static func parse(text: String, path: String) throws(AuthConfigError) -> WebConfig {
        try WebConfigParser(path: path).parse(text)
    }
}
