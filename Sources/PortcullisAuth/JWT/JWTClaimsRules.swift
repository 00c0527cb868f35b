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
    let customClaims: [(name: String, value: ClaimValue, slot: Int)]
    let clockSkew: Double
    let scopeKey: String
    /// Whether the principal carries the token's other claims.
    let claims: PrincipalClaims
    /// The payload members the checks read; the others are skipped unless claims are kept.
    let selection: JSONMemberSelection
    /// Where the scope claim sits in the selected values (after the registered claims of ``Slot``,
    /// unless it is one of them).
    private let scopeSlot: Int

    /// Where the registered claims sit in the selected values.
    private enum Slot {
        static let sub = 0, iss = 1, aud = 2, jti = 3, exp = 4, nbf = 5
        static let names = ["sub", "iss", "aud", "jti", "exp", "nbf"]
    }

    init(_ config: JWTValidatorConfig, claims: PrincipalClaims = .kept) {
        self.claims = claims
        self.issuer = config.issuer
        self.username = config.username
        self.audience = config.audience
        self.jwtId = config.jwtId
        self.keyId = config.keyId
        self.clockSkew = Double(config.clockSkewSeconds)
        self.scopeKey = config.scopeKey
        var names = Slot.names
        func slot(_ name: String) -> Int {
            if let index = names.firstIndex(of: name) { return index }
            names.append(name)
            return names.count - 1
        }
        self.scopeSlot = slot(config.scopeKey)
        self.customClaims = config.customClaims.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value, slot: slot($0.key)) }
        self.selection = JSONMemberSelection(names, keepsAll: claims == .kept)
    }

    /// What a valid token establishes.
    struct Outcome: Sendable {
        var principal: Principal
        /// `exp` in seconds since the epoch, if the token has one.
        var expiresAt: Double?
    }

    /// Checks `token` (read with ``selection``) at `now` (seconds since the epoch).
    func check(_ token: CompactJWT, now: Double) throws(JWTValidationError) -> Outcome {
        let payload = token.payload
        let subject = try Self.optionalString(payload[Slot.sub], "sub")
        if let username, subject != username {
            throw .claim(subject == nil ? "has no sub" : "sub does not match username")
        }
        if let issuer {
            let iss = try Self.optionalString(payload[Slot.iss], "iss")
            if iss != issuer {
                throw .claim(iss.map { "iss \"\($0.prefix(64))\" is not the configured issuer" } ?? "has no iss")
            }
        }
        if let audience {
            let shared: Bool
            switch payload[Slot.aud] {
            case .string(let aud)?: shared = audience.contains(aud)
            case .array(let elements)?:
                shared = elements.contains { if case .string(let value) = $0 { audience.contains(value) } else { false } }
            case .none: throw .claim("has no aud")
            default: throw .claim("aud is neither a string nor an array")
            }
            guard shared else { throw .claim("aud shares no value with the configured audience") }
        }
        if let jwtId, try Self.optionalString(payload[Slot.jti], "jti") != jwtId {
            throw .claim("jti does not match jwtId")
        }
        if let keyId, token.header.keyID != keyId {
            throw .claim("header kid does not match keyId")
        }
        for claim in self.customClaims where payload[claim.slot] != claim.value {
            throw .claim(payload[claim.slot] == nil ? "has no \(claim.name.prefix(64)) claim" : "claim \(claim.name.prefix(64)) has another value than configured")
        }
        let expiresAt = try Self.numericDate(payload[Slot.exp], "exp")
        if let expiresAt, expiresAt + self.clockSkew <= now {
            throw .claim("is expired")
        }
        if let notBefore = try Self.numericDate(payload[Slot.nbf], "nbf"), notBefore - self.clockSkew > now {
            throw .claim("is not valid yet (nbf)")
        }
        var principalClaims: [String: ClaimValue] = [:]
        if self.claims == .kept {
            principalClaims = payload.all
            principalClaims.removeValue(forKey: self.scopeKey)
        }
        return Outcome(
            principal: Principal(subject: subject ?? "", scopes: self.scopes(payload[self.scopeSlot]), method: .jwt, claims: principalClaims),
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

    private static func optionalString(_ value: ClaimValue?, _ name: String) throws(JWTValidationError) -> String? {
        switch value {
        case .none: nil
        case .string(let value)?: value
        default: throw .claim("\(name) is not a string")
        }
    }

    /// RFC 7519 §2 NumericDate: a JSON number of seconds.
    private static func numericDate(_ value: ClaimValue?, _ name: String) throws(JWTValidationError) -> Double? {
        switch value {
        case .none: nil
        case .number(let value)?: value
        default: throw .claim("\(name) is not a number")
        }
    }
}
