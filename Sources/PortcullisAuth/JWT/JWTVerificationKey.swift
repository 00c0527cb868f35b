import PortcullisConfig
import JWTKit

/// One key with a ready verifier per algorithm it may verify; immutable, shared by every request.
///
/// Verifiers come from jwt-kit. Its `JWTKeyCollection` is an actor, so each verifier is taken
/// out of a collection once, when the key is loaded, and then called synchronously: a request
/// never hops to an actor to verify a signature.
public struct JWTVerificationKey: Sendable {
    /// The `kid` the key is published under, if any.
    public let keyID: String?
    private let verifiers: [(name: JWTAlgorithmName, algorithm: any JWTAlgorithm)]

    /// The algorithms a token signed with this key may name.
    public var algorithms: [JWTAlgorithmName] { self.verifiers.map(\.name) }

    /// - Parameters:
    ///   - key: the key material.
    ///   - keyID: the `kid` it is published under.
    ///   - algorithm: when the key names its algorithm (a JWK's `alg`), the only one allowed.
    public static func make(_ key: JWTPublicKey, keyID: String? = nil, algorithm: JWTAlgorithmName? = nil) async throws(JWTKeyError)
        -> JWTVerificationKey
    {
        let names = key.algorithms.filter { algorithm == nil || $0 == algorithm }
        guard !names.isEmpty else {
            throw JWTKeyError("alg \(algorithm?.rawValue ?? "?") does not fit the key type")
        }
        let collection = JWTKeyCollection()
        var verifiers: [(JWTAlgorithmName, any JWTAlgorithm)] = []
        for name in names {
            let kid = JWKIdentifier(string: name.rawValue)
            switch (key, name) {
            case (.rsa(let rsa), .rs256): await collection.add(rsa: rsa, digestAlgorithm: .sha256, kid: kid)
            case (.rsa(let rsa), .rs384): await collection.add(rsa: rsa, digestAlgorithm: .sha384, kid: kid)
            case (.rsa(let rsa), .rs512): await collection.add(rsa: rsa, digestAlgorithm: .sha512, kid: kid)
            case (.rsa(let rsa), .ps256): await collection.add(pss: rsa, digestAlgorithm: .sha256, kid: kid)
            case (.rsa(let rsa), .ps384): await collection.add(pss: rsa, digestAlgorithm: .sha384, kid: kid)
            case (.rsa(let rsa), .ps512): await collection.add(pss: rsa, digestAlgorithm: .sha512, kid: kid)
            case (.p256(let ec), _): await collection.add(ecdsa: ec, kid: kid)
            case (.p384(let ec), _): await collection.add(ecdsa: ec, kid: kid)
            case (.ed25519(let ed), _): await collection.add(eddsa: ed, kid: kid)
            case (.secret(let secret), .hs256): await collection.add(hmac: secret, digestAlgorithm: .sha256, kid: kid)
            case (.secret(let secret), .hs384): await collection.add(hmac: secret, digestAlgorithm: .sha384, kid: kid)
            case (.secret(let secret), .hs512): await collection.add(hmac: secret, digestAlgorithm: .sha512, kid: kid)
            default: throw JWTKeyError("alg \(name.rawValue) does not fit the key type")
            }
            do {
                let verifier = try await collection.getKey(for: kid)
                guard verifier.name == name.rawValue else { throw JWTKeyError("jwt-kit gave \(verifier.name) for \(name.rawValue)") }
                verifiers.append((name, verifier))
            } catch let error as JWTKeyError {
                throw error
            } catch {
                throw JWTKeyError("jwt-kit refused the key: \(error)")
            }
        }
        return JWTVerificationKey(keyID: keyID, verifiers: verifiers)
    }

    private init(keyID: String?, verifiers: [(JWTAlgorithmName, any JWTAlgorithm)]) {
        self.keyID = keyID
        self.verifiers = verifiers.map { (name: $0.0, algorithm: $0.1) }
    }

    /// Whether a signature by `alg` is cheap enough to check on an event loop: everything but
    /// ES384, whose check took 564 µs in `Benchmarks/jwt-vs-openssl.sh` (≈ 10× ES256's 56 µs,
    /// ≈ 30× RS256's 18 µs) and is left to a task, so that a flood of fresh ES384 tokens does
    /// not stall the connections of the loop it lands on. An `alg` the key does not verify is
    /// refused at once either way.
    public func verifiesImmediately(alg: String) -> Bool {
        alg != JWTAlgorithmName.es384.rawValue
    }

    /// Verifies `signature` over `signingInput` with the verifier for `alg`.
    ///
    /// `alg` must name one of ``algorithms`` exactly; anything else (`none` in any spelling, HS*
    /// against a public key, RS* against a secret) is refused without computing anything.
    func verify(alg: String, signature: [UInt8], signingInput: ArraySlice<UInt8>) throws(JWTValidationError) {
        guard let verifier = self.verifiers.first(where: { $0.name.rawValue == alg })?.algorithm else {
            throw .algorithmNotAllowed(alg)
        }
        let valid: Bool
        do {
            valid = try verifier.verify(signature, signs: signingInput)
        } catch {
            throw .badSignature
        }
        guard valid else { throw .badSignature }
    }
}
