internal import JWTKit

/// `--auth.jwt.public-key-file`: one PEM RSA or EC public key, or a certificate holding one.
enum PublicKeyFile {
    /// An RSA key verifies RS256/384/512 and PS256/384/512; an EC key only the one ES algorithm
    /// of its curve (P-256: ES256, P-384: ES384, P-521: ES512).
    static func load(path: String) throws(AuthConfigError) -> [VerificationKeySpec] {
        let flag = AuthSettings.Flag.jwtPublicKeyFile
        let pem = try CredentialFile.readText(path, flag: flag)
        // The exporter only verifies; a signing key on the scrape target would let anyone who
        // reads this host mint tokens for the whole application.
        guard !pem.contains("PRIVATE KEY-----") else {
            throw AuthConfigError(
                flag: flag,
                problem: "\"\(path)\" holds a private key; give only the public key "
                    + "(openssl pkey -in KEY -pubout)")
        }
        guard pem.contains("-----BEGIN ") else {
            throw AuthConfigError(flag: flag, problem: "\"\(path)\" holds no PEM block")
        }
        let isCertificate = pem.contains("-----BEGIN CERTIFICATE-----")
        func specs(_ algorithms: [JWSAlgorithm], _ material: VerificationKeySpec.Material) -> [VerificationKeySpec] {
            algorithms.map { VerificationKeySpec(algorithm: $0, kid: nil, material: material, flag: flag) }
        }
        if let key = try? (isCertificate
            ? Insecure.RSA.PublicKey(certificatePEM: pem) : Insecure.RSA.PublicKey(pem: pem))
        {
            return specs(JWSAlgorithm.rsaFamily, .rsa(key))
        }
        if let key = try? (isCertificate ? ES256PublicKey(certificate: pem) : ES256PublicKey(pem: pem)) {
            return specs([.es256], .p256(key))
        }
        if let key = try? (isCertificate ? ES384PublicKey(certificate: pem) : ES384PublicKey(pem: pem)) {
            return specs([.es384], .p384(key))
        }
        if let key = try? (isCertificate ? ES512PublicKey(certificate: pem) : ES512PublicKey(pem: pem)) {
            return specs([.es512], .p521(key))
        }
        throw AuthConfigError(
            flag: flag,
            problem: "\"\(path)\" holds no usable public key: expected RSA (at least 2048 bits) "
                + "or EC on P-256, P-384 or P-521")
    }
}
