import Crypto
import CryptoExtras
import ExtrasBase64
import JWTKit
import PortcullisConfig

/// A private key (or shared secret) that signs JWTs, by family. As on the verifying side, the
/// family decides which algorithms it may sign with: RSA → RS*/PS*, P-256 → ES256, P-384 → ES384,
/// Ed25519 → EdDSA, a secret → HS*.
public enum JWTSigningKey: Sendable {
    case rsa(JWTKit.Insecure.RSA.PrivateKey)
    case p256(ES256PrivateKey)
    case p384(ES384PrivateKey)
    case ed25519(EdDSA.PrivateKey)
    case secret(HMACKey)

    /// The algorithms this key may sign with, the usual one first.
    public var algorithms: [JWTAlgorithmName] {
        switch self {
        case .rsa: JWTAlgorithmName.rsa
        case .p256: [.es256]
        case .p384: [.es384]
        case .ed25519: [.edDSA]
        case .secret: JWTAlgorithmName.hmac
        }
    }

    /// A DER private key as TLS libraries hand it over (PKCS#1 or PKCS#8 RSA, SEC 1 or PKCS#8 EC,
    /// PKCS#8 Ed25519): the key of a decrypted PEM file or of a PKCS#12 keystore.
    public init(der: [UInt8]) throws(JWTIssuerError) {
        if let rsa = try? _RSA.Signing.PrivateKey(derRepresentation: der) {
            try self.init(pem: rsa.pemRepresentation)
        } else if let p256 = try? P256.Signing.PrivateKey(derRepresentation: der) {
            try self.init(pem: p256.pemRepresentation)
        } else if let p384 = try? P384.Signing.PrivateKey(derRepresentation: der) {
            try self.init(pem: p384.pemRepresentation)
        } else {
            // Anything else (Ed25519) as PKCS#8, which the PEM reader knows for every family.
            let base64 = Base64.encodeToString(bytes: der)
            var lines: [Substring] = []
            var rest = Substring(base64)
            while !rest.isEmpty {
                lines.append(rest.prefix(64))
                rest = rest.dropFirst(64)
            }
            try self.init(pem: "-----BEGIN PRIVATE KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PRIVATE KEY-----\n")
        }
    }

    /// A PEM private key: PKCS#8 (`PRIVATE KEY`) of any family, PKCS#1 (`RSA PRIVATE KEY`) or
    /// SEC 1 (`EC PRIVATE KEY`). RSA keys must have at least 2048 bits (RFC 7518 §3.3).
    public init(pem: String) throws(JWTIssuerError) {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw JWTIssuerError("the private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)")
        }
        guard pem.contains("PRIVATE KEY-----") else {
            throw JWTIssuerError("holds no PEM private key (-----BEGIN PRIVATE KEY-----)")
        }
        // The unsafe parser also reads short RSA keys, so they get the precise refusal below.
        if let rsa = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem) {
            guard rsa.keySizeInBits >= 2048 else {
                throw JWTIssuerError("RSA keys shorter than 2048 bits are refused (RFC 7518 §3.3)")
            }
            do {
                self = .rsa(try JWTKit.Insecure.RSA.PrivateKey(backing: rsa))
            } catch {
                throw JWTIssuerError("the RSA key cannot be used: \(error)")
            }
        } else if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            do { self = .p256(try ES256PrivateKey(backing: p256)) } catch { throw JWTIssuerError("the P-256 key cannot be used: \(error)") }
        } else if let p384 = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            do { self = .p384(try ES384PrivateKey(backing: p384)) } catch { throw JWTIssuerError("the P-384 key cannot be used: \(error)") }
        } else if let ed25519 = try? EdDSA.PrivateKey(pem: pem) {
            self = .ed25519(ed25519)
        } else {
            throw JWTIssuerError("the private key is not RSA, P-256, P-384 or Ed25519, or cannot be parsed")
        }
    }

    /// A shared secret for HS256/384/512: the UTF-8 bytes of `secret`, which must not be empty.
    ///
    /// Short secrets are zero-padded to 64 bytes, which gives the same MAC (HMAC pads every key
    /// shorter than its block with zeros, RFC 2104 §2) and keeps jwt-kit's debug assertion quiet.
    public init(secret: String) throws(JWTIssuerError) {
        var bytes = Array(secret.utf8)
        guard !bytes.isEmpty else { throw JWTIssuerError("the secret is empty") }
        if bytes.count < 64 { bytes += [UInt8](repeating: 0, count: 64 - bytes.count) }
        self = .secret(HMACKey(key: SymmetricKey(data: bytes)))
    }

    /// The quickstart's development key (``QuickstartDevelopmentKey``), which `portcullis token`
    /// signs with by default.
    public static func development() throws(JWTIssuerError) -> JWTSigningKey {
        try JWTSigningKey(pem: QuickstartDevelopmentKey.privateKeyPEM)
    }
}
