import Crypto
import CryptoExtras
import PortcullisConfig
import JWTKit

/// One key with a ready check per algorithm it may verify; immutable, shared by every request.
///
/// RSA, ECDSA and EdDSA signatures are checked through swift-crypto directly (BoringSSL
/// underneath): jwt-kit's verifiers reach the same calls through an existential digest, generic
/// curve types and a `Data` copy of the signature, about 1.5% of a fresh RS256 token's samples in
/// perf beside the 8% its RSA check takes. HMAC keys keep jwt-kit's verifier: its `JWTKeyCollection`
/// is an actor, so that verifier is taken out once, when the key is loaded, and then called
/// synchronously: a request never hops to an actor to verify a signature.
public struct JWTVerificationKey: Sendable {
    /// The `kid` the key is published under, if any.
    public let keyID: String?
    private let checks: [(name: JWTAlgorithmName, check: SignatureCheck)]

    /// How one algorithm checks a signature with this key.
    private enum SignatureCheck: Sendable {
        case rsa(_RSA.Signing.PublicKey, Digest, _RSA.Signing.Padding)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case jwtKit(any JWTAlgorithm)

        enum Digest: Sendable {
            case sha256, sha384, sha512
        }
    }

    /// The algorithms a token signed with this key may name.
    public var algorithms: [JWTAlgorithmName] { self.checks.map(\.name) }

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
        var checks: [(JWTAlgorithmName, SignatureCheck)] = []
        do {
            for name in names {
                switch (key, name) {
                case (.rsa(let rsa), .rs256): checks.append((name, .rsa(try Self.rsa(rsa), .sha256, .insecurePKCS1v1_5)))
                case (.rsa(let rsa), .rs384): checks.append((name, .rsa(try Self.rsa(rsa), .sha384, .insecurePKCS1v1_5)))
                case (.rsa(let rsa), .rs512): checks.append((name, .rsa(try Self.rsa(rsa), .sha512, .insecurePKCS1v1_5)))
                case (.rsa(let rsa), .ps256): checks.append((name, .rsa(try Self.rsa(rsa), .sha256, .PSS)))
                case (.rsa(let rsa), .ps384): checks.append((name, .rsa(try Self.rsa(rsa), .sha384, .PSS)))
                case (.rsa(let rsa), .ps512): checks.append((name, .rsa(try Self.rsa(rsa), .sha512, .PSS)))
                case (.p256(let ec), .es256): checks.append((name, .p256(try P256.Signing.PublicKey(pemRepresentation: ec.pemRepresentation))))
                case (.p384(let ec), .es384): checks.append((name, .p384(try P384.Signing.PublicKey(pemRepresentation: ec.pemRepresentation))))
                case (.ed25519(let ed), .edDSA): checks.append((name, .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: ed.rawRepresentation))))
                case (.secret(let secret), .hs256), (.secret(let secret), .hs384), (.secret(let secret), .hs512):
                    checks.append((name, .jwtKit(try await Self.hmacVerifier(secret, name))))
                default: throw JWTKeyError("alg \(name.rawValue) does not fit the key type")
                }
            }
        } catch let error as JWTKeyError {
            throw error
        } catch {
            throw JWTKeyError("the key cannot be used: \(error)")
        }
        return JWTVerificationKey(keyID: keyID, checks: checks)
    }

    /// The swift-crypto key under jwt-kit's, of at least 2048 bits: a JWKS `n` can be of any size.
    private static func rsa(_ key: JWTKit.Insecure.RSA.PublicKey) throws -> _RSA.Signing.PublicKey {
        let rsa = try _RSA.Signing.PublicKey(unsafeDERRepresentation: key.derRepresentation)
        guard rsa.keySizeInBits >= 2048 else { throw JWTKeyError("RSA keys shorter than 2048 bits are refused (RFC 7518 §3.3)") }
        return rsa
    }

    private static func hmacVerifier(_ secret: HMACKey, _ name: JWTAlgorithmName) async throws -> any JWTAlgorithm {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: name.rawValue)
        switch name {
        case .hs384: await collection.add(hmac: secret, digestAlgorithm: .sha384, kid: kid)
        case .hs512: await collection.add(hmac: secret, digestAlgorithm: .sha512, kid: kid)
        default: await collection.add(hmac: secret, digestAlgorithm: .sha256, kid: kid)
        }
        let verifier = try await collection.getKey(for: kid)
        guard verifier.name == name.rawValue else { throw JWTKeyError("jwt-kit gave \(verifier.name) for \(name.rawValue)") }
        return verifier
    }

    private init(keyID: String?, checks: [(JWTAlgorithmName, SignatureCheck)]) {
        self.keyID = keyID
        self.checks = checks.map { (name: $0.0, check: $0.1) }
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
    func verify(alg: String, signature: ArraySlice<UInt8>, signingInput: ArraySlice<UInt8>) throws(JWTValidationError) {
        guard let check = self.checks.first(where: { $0.name.rawValue == alg })?.check else {
            throw .algorithmNotAllowed(alg)
        }
        let valid: Bool
        switch check {
        case .rsa(let key, let digest, let padding):
            let signature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch digest {
            case .sha256: valid = key.isValidSignature(signature, for: SHA256.hash(data: signingInput), padding: padding)
            case .sha384: valid = key.isValidSignature(signature, for: SHA384.hash(data: signingInput), padding: padding)
            case .sha512: valid = key.isValidSignature(signature, for: SHA512.hash(data: signingInput), padding: padding)
            }
        case .p256(let key):
            // A raw r || s of the curve's size (RFC 7518 §3.4); any other length is no signature.
            guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { throw .badSignature }
            valid = key.isValidSignature(signature, for: SHA256.hash(data: signingInput))
        case .p384(let key):
            guard let signature = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { throw .badSignature }
            valid = key.isValidSignature(signature, for: SHA384.hash(data: signingInput))
        case .ed25519(let key):
            valid = key.isValidSignature(signature, for: signingInput)
        case .jwtKit(let verifier):
            do {
                valid = try verifier.verify(signature, signs: signingInput)
            } catch {
                throw .badSignature
            }
        }
        guard valid else { throw .badSignature }
    }
}
