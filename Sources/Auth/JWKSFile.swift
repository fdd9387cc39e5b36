import Foundation
internal import JWTKit

/// `--auth.jwt.jwks-file`: a JSON Web Key Set (RFC 7517).
///
/// Decoded with our own lenient shape rather than jwt-kit's `JWKS`, which fails the whole set on
/// one key it does not model (an `oct` key, `alg: RSA-OAEP-256`), as published sets often hold.
/// Keys meant for encryption (`use: enc`) and key types we do not verify with (`oct`, `OKP`) are
/// skipped; an RSA or EC signing key that is malformed is an error, not silently dropped.
enum JWKSFile {
    struct Document: Decodable {
        let keys: [Key]
    }

    struct Key: Decodable {
        let kty: String
        let kid: String?
        let alg: String?
        let use: String?
        let crv: String?
        let n: String?
        let e: String?
        let x: String?
        let y: String?
        /// Private material (RSA private exponent or EC private key); only checked for absence.
        let d: String?
    }

    /// - Parameter emptySetIsRevocation: on a reload, `{"keys": []}` revokes every key (an
    ///   empty array is returned); at start it is an error, as is any set with no usable key.
    static func load(path: String, emptySetIsRevocation: Bool = false) throws(AuthConfigError) -> [VerificationKeySpec] {
        let flag = AuthSettings.Flag.jwtJWKSFile
        let bytes = try CredentialFile.read(path, flag: flag)
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw AuthConfigError(
                flag: flag, problem: "\"\(path)\" is not a JWKS document (a JSON object with \"keys\")")
        }
        if emptySetIsRevocation && document.keys.isEmpty { return [] }
        var specs: [VerificationKeySpec] = []
        for (index, key) in document.keys.enumerated() {
            specs += try specsFor(key, index: index, path: path)
        }
        guard !specs.isEmpty else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" holds no RSA or EC signing key")
        }
        return specs
    }

    private static func specsFor(
        _ key: Key, index: Int, path: String
    ) throws(AuthConfigError) -> [VerificationKeySpec] {
        let flag = AuthSettings.Flag.jwtJWKSFile
        let name = key.kid.map { "key \(index) (kid \"\($0)\")" } ?? "key \(index)"
        func failure(_ problem: String) -> AuthConfigError {
            AuthConfigError(flag: flag, problem: "\"\(path)\" \(name): \(problem)")
        }
        if key.use == "enc" { return [] }
        // As for the PEM file: the exporter only verifies and must not hold a signing key.
        guard key.d == nil else { throw failure("holds private key material; publish only the public key") }
        let declared: JWSAlgorithm?
        if let alg = key.alg {
            guard let known = JWSAlgorithm(rawValue: alg) else {
                // An encryption alg such as RSA-OAEP without `use`: not a signing key.
                return []
            }
            declared = known
        } else {
            declared = nil
        }
        func specs(_ algorithms: [JWSAlgorithm], _ material: VerificationKeySpec.Material) -> [VerificationKeySpec] {
            algorithms.map { VerificationKeySpec(algorithm: $0, kid: key.kid, material: material, flag: flag) }
        }

        switch key.kty {
        case "RSA":
            guard let n = key.n, let e = key.e else { throw failure("an RSA key needs \"n\" and \"e\"") }
            let allowed = declared.map { [$0] } ?? JWSAlgorithm.rsaFamily
            guard allowed.allSatisfy(JWSAlgorithm.rsaFamily.contains) else {
                throw failure("an RSA key cannot be used with alg \(key.alg ?? "")")
            }
            guard let rsa = try? Insecure.RSA.PublicKey(modulus: n, exponent: e) else {
                throw failure("not a usable RSA public key (at least 2048 bits)")
            }
            return specs(allowed, .rsa(rsa))
        case "EC":
            guard let x = key.x, let y = key.y else { throw failure("an EC key needs \"x\" and \"y\"") }
            let algorithm: JWSAlgorithm
            switch key.crv {
            case "P-256": algorithm = .es256
            case "P-384": algorithm = .es384
            case "P-521": algorithm = .es512
            default: throw failure("unsupported EC curve \(key.crv ?? "(none)"); expected P-256, P-384 or P-521")
            }
            if let declared, declared != algorithm {
                throw failure("alg \(declared.rawValue) does not match curve \(key.crv ?? "")")
            }
            let material: VerificationKeySpec.Material?
            switch algorithm {
            case .es256: material = (try? ES256PublicKey(parameters: (x, y))).map { .p256($0) }
            case .es384: material = (try? ES384PublicKey(parameters: (x, y))).map { .p384($0) }
            default: material = (try? ES512PublicKey(parameters: (x, y))).map { .p521($0) }
            }
            guard let material else { throw failure("\"x\"/\"y\" are not a point on \(key.crv ?? "")") }
            return specs([algorithm], material)
        default:
            return []
        }
    }
}
