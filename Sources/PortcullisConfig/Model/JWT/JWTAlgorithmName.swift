/// The JWS algorithms Portcullis verifies and signs (contract §4), by their exact `alg` names.
///
/// `none` is not among them in any spelling: a token naming it never finds a verifier. The type
/// lives with the configuration because config records name algorithms (`signatureConfig.algorithm`
/// of a JWT issuer).
public enum JWTAlgorithmName: String, Sendable, Hashable, CaseIterable {
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    case es256 = "ES256", es384 = "ES384"
    case edDSA = "EdDSA"
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"

    /// The algorithms an RSA public key verifies.
    public static let rsa: [JWTAlgorithmName] = [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512]
    /// The algorithms a shared secret verifies.
    public static let hmac: [JWTAlgorithmName] = [.hs256, .hs384, .hs512]
}
