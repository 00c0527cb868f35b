#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ExtrasBase64
import JWTKit
import PortcullisConfig

/// Signs JWTs with one key and one algorithm: what `portcullis token` uses and what the outbound
/// self-signed JWT auth builds on.
///
/// The signer is jwt-kit's, taken out of a `JWTKeyCollection` once when the issuer is made, so
/// signing is a synchronous call without an actor hop. The header is encoded once, too.
public struct JWTIssuer: Sendable {
    /// The algorithm every token is signed with.
    public let algorithm: JWTAlgorithmName
    /// The `kid` every token carries, if any.
    public let keyID: String?
    private let signer: any JWTAlgorithm
    private let encodedHeader: String

    /// An issuer for `key`.
    ///
    /// - Parameters:
    ///   - key: the signing key.
    ///   - algorithm: the algorithm; `nil` picks the key's usual one (RS256, ES256, ES384, EdDSA,
    ///     HS256). One that does not fit the key is refused (RFC 8725 §3.1).
    ///   - keyID: the `kid` header value.
    public static func make(key: JWTSigningKey, algorithm: JWTAlgorithmName? = nil, keyID: String? = nil) async throws(JWTIssuerError)
        -> JWTIssuer
    {
        let allowed = key.algorithms
        guard let chosen = algorithm ?? allowed.first, allowed.contains(chosen) else {
            throw JWTIssuerError(
                "\(algorithm?.rawValue ?? "?") does not fit the key; it signs \(allowed.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: chosen.rawValue)
        switch (key, chosen) {
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
        default: throw JWTIssuerError("\(chosen.rawValue) does not fit the key")
        }
        let signer: any JWTAlgorithm
        do {
            signer = try await collection.getKey(for: kid)
        } catch {
            throw JWTIssuerError("jwt-kit refused the key: \(error)")
        }
        guard signer.name == chosen.rawValue else { throw JWTIssuerError("jwt-kit gave \(signer.name) for \(chosen.rawValue)") }
        var header: [(String, ClaimValue)] = [("alg", .string(chosen.rawValue)), ("typ", .string("JWT"))]
        if let keyID { header.append(("kid", .string(keyID))) }
        return JWTIssuer(algorithm: chosen, keyID: keyID, signer: signer, encodedHeader: try Self.encode(header))
    }

    private init(algorithm: JWTAlgorithmName, keyID: String?, signer: any JWTAlgorithm, encodedHeader: String) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.signer = signer
        self.encodedHeader = encodedHeader
    }

    /// A compact JWS (`header.payload.signature`) carrying `claims`.
    public func sign(_ claims: JWTClaimSet) throws(JWTIssuerError) -> String {
        let signingInput = self.encodedHeader + "." + (try Self.encode(claims.members))
        let signature: [UInt8]
        do {
            signature = try self.signer.sign(Array(signingInput.utf8))
        } catch {
            throw JWTIssuerError("signing failed: \(error)")
        }
        return signingInput + "." + Base64.encodeToString(bytes: signature, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// An unsecured JWT (RFC 7519 §6): `b64(header).b64(claims)` with `alg` none and no signature
    /// part, as Ballerina writes it for `algorithm = NONE`.
    public static func unsecured(_ claims: JWTClaimSet, keyID: String? = nil) throws(JWTIssuerError) -> String {
        var header: [(String, ClaimValue)] = [("alg", .string("none")), ("typ", .string("JWT"))]
        if let keyID { header.append(("kid", .string(keyID))) }
        return try Self.encode(header) + "." + Self.encode(claims.members)
    }

    /// Base64url of the JSON object with `members` in the given order.
    private static func encode(_ members: [(String, ClaimValue)]) throws(JWTIssuerError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var json: [UInt8] = [UInt8(ascii: "{")]
        do {
            for (index, (name, value)) in members.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                json += try encoder.encode(ClaimValue.string(name))
                json.append(UInt8(ascii: ":"))
                json += try encoder.encode(value)
            }
        } catch {
            throw JWTIssuerError("a claim cannot be written as JSON: \(error)")
        }
        json.append(UInt8(ascii: "}"))
        return Base64.encodeToString(bytes: json, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
