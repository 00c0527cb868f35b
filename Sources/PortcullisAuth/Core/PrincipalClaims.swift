/// Whether principals from tokens (JWT, introspection) carry the token's other claims.
///
/// A Swift service reading `Principal.claims` (through the Hummingbird middleware) wants them
/// kept. The gateway never reads them (its identity headers are the subject, the scopes and the
/// method) and drops them: in a verified-token cache they were most of an entry, about 800 of
/// 1,160 bytes per cached HS256 JWT with six claims (Benchmarks/e2e/cache-memory.sh).
public enum PrincipalClaims: Sendable, Hashable {
    /// `Principal.claims` holds every claim but the scopes.
    case kept
    /// `Principal.claims` is empty; the subject and scopes are all a principal holds.
    case dropped
}
