import PortcullisConfig

/// The claim checks of one `jwtValidatorConfig`, applied to a token whose signature verified.
///
/// Each configured check must pass (Ballerina's rules): `sub`, `iss`, `aud` (any shared value),
/// `jti`, header `kid`, `customClaims` (exact JSON equality), then `exp` and `nbf` with the clock
/// skew. `exp` is optional, as in Ballerina; a token without it is cached for the cache's max age.
struct JWTClaimsRules: Sendable {
    let issuer: String?
    let username: String?
    let audience: [String]?
    let jwtId: String?
    let keyId: String?
    let customClaims: [String: ClaimValue]
    let clockSkew: Double
    let scopeKey: String
    /// Whether the principal carries the token's other claims.
    let claims: PrincipalClaims

    init(_ config: JWTValidatorConfig, claims: PrincipalClaims = .kept) {
        self.claims = claims
        self.issuer = config.issuer
        self.username = config.username
        self.audience = config.audience
        self.jwtId = config.jwtId
        self.keyId = config.keyId
        self.customClaims = config.customClaims
        self.clockSkew = Double(config.clockSkewSeconds)
        self.scopeKey = config.scopeKey
    }

    /// What a valid token establishes.
    struct Outcome: Sendable {
        var principal: Principal
        /// `exp` in seconds since the epoch, if the token has one.
        var expiresAt: Double?
    }

    /// Checks `token` at `now` (seconds since the epoch).
    func check(_ token: CompactJWT, now: Double) throws(JWTValidationError) -> Outcome {
        let claims = token.claims
        let subject = try Self.optionalString(claims, "sub")
        if let username, subject != username {
            throw .claim(subject == nil ? "has no sub" : "sub does not match username")
        }
        if let issuer {
            let iss = try Self.optionalString(claims, "iss")
            if iss != issuer {
                throw .claim(iss.map { "iss \"\($0.prefix(64))\" is not the configured issuer" } ?? "has no iss")
            }
        }
        if let audience {
            let values: [String]
            switch claims["aud"] {
            case .string(let aud)?: values = [aud]
            case .array(let elements)?:
                values = elements.compactMap { if case .string(let value) = $0 { value } else { nil } }
            case .none: throw .claim("has no aud")
            default: throw .claim("aud is neither a string nor an array")
            }
            guard values.contains(where: audience.contains) else { throw .claim("aud shares no value with the configured audience") }
        }
        if let jwtId, try Self.optionalString(claims, "jti") != jwtId {
            throw .claim("jti does not match jwtId")
        }
        if let keyId, token.header.keyID != keyId {
            throw .claim("header kid does not match keyId")
        }
        for (name, expected) in self.customClaims where claims[name] != expected {
            throw .claim(claims[name] == nil ? "has no \(name.prefix(64)) claim" : "claim \(name.prefix(64)) has another value than configured")
        }
        let expiresAt = try Self.numericDate(claims, "exp")
        if let expiresAt, expiresAt + self.clockSkew <= now {
            throw .claim("is expired")
        }
        if let notBefore = try Self.numericDate(claims, "nbf"), notBefore - self.clockSkew > now {
            throw .claim("is not valid yet (nbf)")
        }
        var principalClaims: [String: ClaimValue] = [:]
        if self.claims == .kept {
            principalClaims = claims
            principalClaims.removeValue(forKey: self.scopeKey)
        }
        return Outcome(
            principal: Principal(subject: subject ?? "", scopes: self.scopes(claims[self.scopeKey]), method: .jwt, claims: principalClaims),
            expiresAt: expiresAt
        )
    }

    /// Scopes from a space-separated string or an array of strings (each element one scope, empty
    /// ones skipped); other types give none.
    private func scopes(_ value: ClaimValue?) -> [String] {
        switch value {
        case .string(let text)?: ScopeList.split(text)
        // An empty element names no scope, as in introspection answers.
        case .array(let elements)?: elements.compactMap { if case .string(let scope) = $0, !scope.isEmpty { scope } else { nil } }
        default: []
        }
    }

    private static func optionalString(_ claims: [String: ClaimValue], _ name: String) throws(JWTValidationError) -> String? {
        switch claims[name] {
        case .none: nil
        case .string(let value)?: value
        default: throw .claim("\(name) is not a string")
        }
    }

    /// RFC 7519 §2 NumericDate: a JSON number of seconds.
    private static func numericDate(_ claims: [String: ClaimValue], _ name: String) throws(JWTValidationError) -> Double? {
        switch claims[name] {
        case .none: nil
        case .number(let value)?: value
        default: throw .claim("\(name) is not a number")
        }
    }
}
