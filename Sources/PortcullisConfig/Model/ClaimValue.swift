/// A claim value as JSON knows it: what a token carries and what `customClaims` requires.
public enum ClaimValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null
}
