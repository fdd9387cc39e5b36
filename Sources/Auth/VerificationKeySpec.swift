internal import JWTKit

/// A parsed key, bound to one algorithm, before jwt-kit has built its verifier. Parsing is
/// synchronous and can fail with a precise message; building the verifier needs jwt-kit's
/// `JWTKeyCollection` actor and is done for all keys at once by `makeVerificationKeys`.
struct VerificationKeySpec: Sendable {
    enum Material: Sendable {
        case hmac(HMACKey)
        case rsa(Insecure.RSA.PublicKey)
        case p256(ES256PublicKey)
        case p384(ES384PublicKey)
        case p521(ES512PublicKey)
    }

    let algorithm: JWSAlgorithm
    let kid: String?
    let material: Material
    /// The flag the key came from, for the error if jwt-kit refuses it.
    let flag: String

    /// One collection per key: it then holds exactly one signer, its default, so `getKey()` can
    /// only return this key's verifier.
    func makeVerificationKey() async throws -> VerificationKey {
        let collection = JWTKeyCollection()
        switch material {
        case .hmac(let key):
            await collection.add(hmac: key, digestAlgorithm: algorithm.digest)
        case .rsa(let key) where algorithm.isPSS:
            await collection.add(pss: key, digestAlgorithm: algorithm.digest)
        case .rsa(let key):
            await collection.add(rsa: key, digestAlgorithm: algorithm.digest)
        case .p256(let key):
            await collection.add(ecdsa: key)
        case .p384(let key):
            await collection.add(ecdsa: key)
        case .p521(let key):
            await collection.add(ecdsa: key)
        }
        let verifier = try await collection.getKey()
        // jwt-kit names the algorithm it built; a disagreement would mean a key bound to the
        // wrong alg (say a P-256 key as ES384), which must not load.
        guard verifier.name == algorithm.rawValue else {
            throw AuthConfigError(flag: flag, problem: "a \(verifier.name) key cannot verify \(algorithm.rawValue)")
        }
        return VerificationKey(algorithm: algorithm, kid: kid, verifier: verifier)
    }
}

extension [VerificationKeySpec] {
    /// Builds every verifier inside one async bridge, since `Credentials.load` is synchronous;
    /// `BlockingAsync` says why that bridge cannot deadlock.
    func makeVerificationKeys() throws(AuthConfigError) -> [VerificationKey] {
        let specs = self
        let outcome = BlockingAsync.run { () async -> Result<[VerificationKey], AuthConfigError> in
            var keys: [VerificationKey] = []
            for spec in specs {
                do {
                    keys.append(try await spec.makeVerificationKey())
                } catch let error as AuthConfigError {
                    return .failure(error)
                } catch {
                    // jwt-kit's errors can carry key details: say only which flag and alg.
                    let problem = "jwt-kit refused the \(spec.algorithm.rawValue) key"
                    return .failure(AuthConfigError(flag: spec.flag, problem: problem))
                }
            }
            return .success(keys)
        }
        return try outcome.get()
    }
}

extension VerificationKeySpec: CustomStringConvertible, CustomReflectable {
    var description: String { "VerificationKeySpec(\(algorithm.rawValue), kid: \(kid ?? "none"), material redacted)" }
    var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm, "kid": kid as Any, "flag": flag]) }
}
