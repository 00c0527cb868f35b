import PortcullisConfig
import Crypto
import JWTKit
import X509
import CryptoExtras

/// Key material that verifies JWT signatures, by family. The family decides which `alg` values a
/// token may name (RFC 8725 §3.1): an RSA key verifies RS*/PS*, a P-256 key ES256, a P-384 key
/// ES384, an Ed25519 key EdDSA and a shared secret HS*, and nothing else.
public enum JWTPublicKey: Sendable {
    case rsa(JWTKit.Insecure.RSA.PublicKey)
    case p256(ES256PublicKey)
    case p384(ES384PublicKey)
    case ed25519(EdDSA.PublicKey)
    case secret(HMACKey)

    /// The algorithms this key may verify.
    public var algorithms: [JWTAlgorithmName] {
        switch self {
        case .rsa: JWTAlgorithmName.rsa
        case .p256: [.es256]
        case .p384: [.es384]
        case .ed25519: [.edDSA]
        case .secret: JWTAlgorithmName.hmac
        }
    }

    /// The public key of a certificate or of a `PUBLIC KEY` PEM block (RSA of at least 2048 bits,
    /// P-256, P-384 or Ed25519).
    public init(_ key: Certificate.PublicKey) throws(JWTKeyError) {
        if let rsa = _RSA.Signing.PublicKey(key) {
            guard rsa.keySizeInBits >= 2048 else { throw JWTKeyError("RSA keys shorter than 2048 bits are refused (RFC 7518 §3.3)") }
            do {
                self = .rsa(try JWTKit.Insecure.RSA.PublicKey(backing: rsa))
            } catch {
                throw JWTKeyError("the RSA key cannot be used: \(error)")
            }
        } else if let p256 = P256.Signing.PublicKey(key) {
            do { self = .p256(try ES256PublicKey(backing: p256)) } catch { throw JWTKeyError("the P-256 key cannot be used: \(error)") }
        } else if let p384 = P384.Signing.PublicKey(key) {
            do { self = .p384(try ES384PublicKey(backing: p384)) } catch { throw JWTKeyError("the P-384 key cannot be used: \(error)") }
        } else if let ed25519 = Curve25519.Signing.PublicKey(key) {
            self = .ed25519(EdDSA.PublicKey(backing: ed25519))
        } else {
            throw JWTKeyError("the key is not RSA, P-256, P-384 or Ed25519")
        }
    }

    /// A shared secret for HS256/384/512: the UTF-8 bytes of `secret`.
    ///
    /// Secrets shorter than SHA-512's output are padded with zero bytes to 64. HMAC pads every key
    /// shorter than its block (64 or 128 bytes) with zeros itself (RFC 2104 §2), so the MACs are the
    /// same; the padding only keeps jwt-kit's debug-build assertion on short keys quiet.
    public init(secret: String) {
        var bytes = Array(secret.utf8)
        if bytes.count < 64 { bytes += [UInt8](repeating: 0, count: 64 - bytes.count) }
        self = .secret(HMACKey(key: SymmetricKey(data: bytes)))
    }
}

/// A key that cannot be used to verify JWTs.
public struct JWTKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
