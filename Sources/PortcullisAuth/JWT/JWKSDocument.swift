import JWTKit
import PortcullisConfig

/// A JSON Web Key Set (RFC 7517 §5) read into verification keys.
///
/// Members are read one key at a time, so one key of a type Portcullis does not verify with
/// (`oct`, an encryption key, a curve it does not support) is skipped rather than failing the set.
/// Private members are never read. Key objects are built by jwt-kit.
package enum JWKSDocument {
    /// The most bytes read from a JWKS endpoint.
    package static let maximumBodySize = 1 << 20

    package struct Failure: Error, Equatable {
        package let reason: String
    }

    /// The usable keys of `body`, at most `capacity` of them, and why others were skipped.
    package static func keys(from body: [UInt8], capacity: Int) async throws(Failure) -> (keys: [JWTVerificationKey], skipped: [String]) {
        let document: [String: ClaimValue]
        do {
            document = try JSONClaimsParser.parseObject(body)
        } catch {
            throw Failure(reason: "the key set \(error.reason)")
        }
        guard case .array(let entries)? = document["keys"] else {
            throw Failure(reason: "the key set has no \"keys\" array")
        }
        var keys: [JWTVerificationKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            guard keys.count < capacity else {
                skipped.append("keys beyond the capacity of \(capacity) were ignored")
                break
            }
            guard case .object(let members) = entry else {
                skipped.append("keys[\(index)] is not an object")
                continue
            }
            do {
                if let key = try await self.key(members) { keys.append(key) }
            } catch {
                skipped.append("keys[\(index)]: \(error.description)")
            }
        }
        return (keys, skipped)
    }

    /// One JWK, or `nil` for a key meant for something else than signatures.
    private static func key(_ members: [String: ClaimValue]) async throws(JWTKeyError) -> JWTVerificationKey? {
        if case .string(let use)? = members["use"], use != "sig" { return nil }
        let kid = Self.string(members, "kid")
        var algorithm: JWTAlgorithmName?
        if let alg = Self.string(members, "alg") {
            guard let known = JWTAlgorithmName(rawValue: alg) else { throw JWTKeyError("alg \(alg.prefix(16)) is not supported") }
            algorithm = known
        }
        let material: JWTPublicKey
        do {
            switch Self.string(members, "kty") {
            case "RSA":
                guard let n = Self.string(members, "n"), let e = Self.string(members, "e") else { throw JWTKeyError("RSA key without n or e") }
                material = .rsa(try JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e))
            case "EC":
                guard let x = Self.string(members, "x"), let y = Self.string(members, "y") else { throw JWTKeyError("EC key without x or y") }
                switch Self.string(members, "crv") {
                case "P-256": material = .p256(try ES256PublicKey(parameters: (x, y)))
                case "P-384": material = .p384(try ES384PublicKey(parameters: (x, y)))
                default: throw JWTKeyError("EC curve is not P-256 or P-384")
                }
            case "OKP":
                guard Self.string(members, "crv") == "Ed25519", let x = Self.string(members, "x") else {
                    throw JWTKeyError("OKP key is not Ed25519")
                }
                material = .ed25519(try EdDSA.PublicKey(x: x, curve: .ed25519))
            default:
                throw JWTKeyError("kty is not RSA, EC or OKP")
            }
        } catch let error as JWTKeyError {
            throw error
        } catch {
            throw JWTKeyError("the key cannot be read: \(error)")
        }
        return try await JWTVerificationKey.make(material, keyID: kid, algorithm: algorithm)
    }

    private static func string(_ members: [String: ClaimValue], _ name: String) -> String? {
        if case .string(let value)? = members[name] { value } else { nil }
    }
}
