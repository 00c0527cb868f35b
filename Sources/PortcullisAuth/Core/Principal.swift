import PortcullisConfig

/// Who a request was authenticated as.
public struct Principal: Sendable, Hashable {
    /// The user name, token subject or certificate subject.
    public var subject: String
    /// The scopes the principal holds, in the order the identity source gave them.
    public var scopes: [String]
    /// How the principal was authenticated.
    public var method: AuthMethod
    /// Further claims from the identity source (empty for Basic auth).
    public var claims: [String: ClaimValue]

    public init(subject: String, scopes: [String], method: AuthMethod, claims: [String: ClaimValue] = [:]) {
        self.subject = subject
        self.scopes = scopes
        self.method = method
        self.claims = claims
    }

    /// `true` when the principal holds at least one of `required` (exact string match).
    public func holdsAny(of required: [String]) -> Bool {
        for scope in required where self.scopes.contains(scope) {
            return true
        }
        return false
    }
}
