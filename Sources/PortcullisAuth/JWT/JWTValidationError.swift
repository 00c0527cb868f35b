/// Why a token was refused, for logs. Never sent to clients; never carries the token.
enum JWTValidationError: Error, Sendable, Equatable {
    /// Not a compact JWS, or a header or payload that cannot be read.
    case malformed(String)
    /// The token names an algorithm the key does not verify (or `none`).
    case algorithmNotAllowed(String)
    /// No key with the token's `kid`.
    case unknownKey(String?)
    /// The signature does not verify.
    case badSignature
    /// A claim check failed.
    case claim(String)

    var failure: AuthFailure {
        switch self {
        case .malformed(let reason): AuthFailure(.malformedCredentials, "JWT \(reason)")
        case .algorithmNotAllowed(let alg): AuthFailure(.jwtAlgorithm, "JWT alg \"\(alg.prefix(16))\" is not allowed for the configured key")
        case .unknownKey(let kid): AuthFailure(.jwtUnknownKey, "no key for JWT kid \"\(kid.map { String($0.prefix(64)) } ?? "(none)")\"")
        case .badSignature: AuthFailure(.jwtSignature, "JWT signature does not verify")
        case .claim(let reason): AuthFailure(.jwtClaims, "JWT \(reason)")
        }
    }
}

extension AuthFailure.Code {
    public static let jwtAlgorithm = Self("jwt_algorithm")
    public static let jwtUnknownKey = Self("jwt_unknown_key")
    public static let jwtSignature = Self("jwt_signature")
    public static let jwtClaims = Self("jwt_claims")
}
