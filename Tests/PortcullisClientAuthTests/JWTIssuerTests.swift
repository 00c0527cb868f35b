import Crypto
import CryptoExtras
import Foundation
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import SwiftASN1
import Testing
import X509

/// The JWT issuer, checked through the inbound JWT authenticator: every token it signs must be
/// accepted by the verifying side with the same key's public half and carry the claims given.
/// Keys are generated here, in-process; PyJWT checks the same tokens in the command-line tests.
@Suite("JWT issuer")
struct JWTIssuerTests {
    /// A fresh key pair of one family: the private half as PEM, the public half as the verifier takes it.
    struct KeyPair: Sendable, CustomTestStringConvertible {
        let name: String
        let privatePEM: String
        let publicKey: Certificate.PublicKey
        var testDescription: String { self.name }

        static func rsa() throws -> KeyPair {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return KeyPair(name: "RSA-2048", privatePEM: key.pemRepresentation, publicKey: try Certificate.PublicKey(pemEncoded: key.publicKey.pemRepresentation))
        }
        static func p256() throws -> KeyPair {
            let key = P256.Signing.PrivateKey()
            return KeyPair(name: "P-256", privatePEM: key.pemRepresentation, publicKey: Certificate.PublicKey(key.publicKey))
        }
        static func p384() throws -> KeyPair {
            let key = P384.Signing.PrivateKey()
            return KeyPair(name: "P-384", privatePEM: key.pemRepresentation, publicKey: Certificate.PublicKey(key.publicKey))
        }
        static func ed25519() throws -> KeyPair {
            let key = Curve25519.Signing.PrivateKey()
            return KeyPair(name: "Ed25519", privatePEM: key.pemRepresentation, publicKey: Certificate.PublicKey(key.publicKey))
        }
    }

    static func accepts(_ token: String, publicKey: JWTPublicKey, algorithm: JWTAlgorithmName) async throws -> Principal? {
        let source = StaticJWTKeySource(JWTKeySet(keys: [try await JWTVerificationKey.make(publicKey, algorithm: algorithm)]))
        let config = JWTValidatorConfig(signature: .secret("unused"), issuer: "issuer-test", audience: ["api"], cache: .init(capacity: 0))
        let authenticator = JWTAuthenticator(config: config, keys: source)
        guard case .authenticated(let principal) = await authenticator.authenticate(AuthRequest(credential: .bearer(token: Substring(token)))) else {
            return nil
        }
        return principal
    }

    static func parts(_ token: String) throws -> (header: [String: Any], payload: [String: Any]) {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(segments.count == 3)
        func object(_ segment: Substring) throws -> [String: Any] {
            var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        return (try object(segments[0]), try object(segments[1]))
    }

    static let cases: [(String, JWTAlgorithmName)] = [
        ("rsa", .rs256), ("rsa", .rs384), ("rsa", .rs512), ("rsa", .ps256), ("rsa", .ps512),
        ("p256", .es256), ("p384", .es384), ("ed25519", .edDSA),
    ]

    @Test("Tokens signed per algorithm verify with the public key and carry the claims", arguments: Self.cases)
    func signsAndVerifies(family: String, algorithm: JWTAlgorithmName) async throws {
        let pair: KeyPair =
            switch family {
            case "rsa": try .rsa()
            case "p256": try .p256()
            case "p384": try .p384()
            default: try .ed25519()
            }
        let issuer = try await JWTIssuer.make(key: try JWTSigningKey(pem: pair.privatePEM), algorithm: algorithm, keyID: "k-1")
        let now = Date()
        let claims = JWTClaimSet(
            issuer: "issuer-test", subject: "svc", audience: ["api"], jwtID: "id-1", now: now, lifetimeSeconds: 120,
            custom: ["scope": .string("read write"), "tenant": .object(["id": .number(7)])]
        )
        let token = try issuer.sign(claims)
        let principal = try await Self.accepts(token, publicKey: try JWTPublicKey(pair.publicKey), algorithm: algorithm)
        #expect(principal?.subject == "svc")
        #expect(principal?.scopes == ["read", "write"])

        let (header, payload) = try Self.parts(token)
        #expect(header["alg"] as? String == algorithm.rawValue)
        #expect(header["typ"] as? String == "JWT")
        #expect(header["kid"] as? String == "k-1")
        let issuedAt = Int(now.timeIntervalSince1970)
        #expect(payload["iat"] as? Int == issuedAt)
        #expect(payload["nbf"] as? Int == issuedAt)
        #expect(payload["exp"] as? Int == issuedAt + 120)
        #expect(payload["aud"] as? String == "api")
        #expect(payload["jti"] as? String == "id-1")
        #expect((payload["tenant"] as? [String: Any])?["id"] as? Int == 7)
    }

    @Test("HS256 tokens verify with the same secret and not with another")
    func hmac() async throws {
        let secret = "a-shared-secret-of-at-least-32-bytes"
        let issuer = try await JWTIssuer.make(key: try JWTSigningKey(secret: secret), algorithm: .hs256)
        let token = try issuer.sign(JWTClaimSet(issuer: "issuer-test", subject: "svc", audience: ["api"], lifetimeSeconds: 60))
        #expect(try await Self.accepts(token, publicKey: JWTPublicKey(secret: secret), algorithm: .hs256) != nil)
        #expect(try await Self.accepts(token, publicKey: JWTPublicKey(secret: secret + "x"), algorithm: .hs256) == nil)
    }

    @Test("The key decides the algorithm: one from another family is refused")
    func algorithmFromKey() async throws {
        let rsa = try JWTSigningKey(pem: try KeyPair.rsa().privatePEM)
        await #expect(throws: JWTIssuerError.self) { try await JWTIssuer.make(key: rsa, algorithm: .es256) }
        await #expect(throws: JWTIssuerError.self) { try await JWTIssuer.make(key: rsa, algorithm: .hs256) }
        let ec = try JWTSigningKey(pem: try KeyPair.p256().privatePEM)
        await #expect(throws: JWTIssuerError.self) { try await JWTIssuer.make(key: ec, algorithm: .es384) }
        #expect(try await JWTIssuer.make(key: ec).algorithm == .es256)
        #expect(try await JWTIssuer.make(key: rsa).algorithm == .rs256)
    }

    @Test("Unusable keys are refused with a reason: encrypted, short RSA, not a private key, empty secret")
    func badKeys() throws {
        let short = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        #expect(throws: JWTIssuerError("RSA keys shorter than 2048 bits are refused (RFC 7518 §3.3)")) {
            try JWTSigningKey(pem: short.pemRepresentation)
        }
        #expect(throws: JWTIssuerError.self) { try JWTSigningKey(pem: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----") }
        #expect(throws: JWTIssuerError("holds no PEM private key (-----BEGIN PRIVATE KEY-----)")) {
            try JWTSigningKey(pem: P256.Signing.PrivateKey().publicKey.pemRepresentation)
        }
        #expect(throws: JWTIssuerError.self) { try JWTSigningKey(pem: "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----") }
        #expect(throws: JWTIssuerError("the secret is empty")) { try JWTSigningKey(secret: "") }
    }

    @Test("Registered claims win over custom claims of the same name; a single audience is a string, several an array")
    func claimPrecedence() async throws {
        let issuer = try await JWTIssuer.make(key: try JWTSigningKey(secret: "0123456789abcdef0123456789abcdef"))
        let token = try issuer.sign(
            JWTClaimSet(issuer: "real", audience: ["a", "b"], lifetimeSeconds: 60, custom: ["iss": .string("forged"), "exp": .number(1)])
        )
        let (_, payload) = try Self.parts(token)
        #expect(payload["iss"] as? String == "real")
        #expect((payload["exp"] as? Int ?? 0) > 1)
        #expect(payload["aud"] as? [String] == ["a", "b"])
    }

    @Test("The development key signs tokens the quickstart's public key verifies")
    func developmentKey() async throws {
        let issuer = try await JWTIssuer.make(key: try JWTSigningKey.development(), keyID: QuickstartDevelopmentKey.keyID)
        let token = try issuer.sign(JWTClaimSet(issuer: "issuer-test", subject: "dev", audience: ["api"], lifetimeSeconds: 60))
        let publicKey = try JWTPublicKey(Certificate.PublicKey(pemEncoded: QuickstartDevelopmentKey.publicKeyPEM))
        #expect(try await Self.accepts(token, publicKey: publicKey, algorithm: .rs256)?.subject == "dev")
    }
}
