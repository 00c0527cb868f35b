/// What one authenticator concluded about one request.
public enum AuthenticationResult: Sendable, Hashable {
    /// The credentials are valid and belong to this principal.
    case authenticated(Principal)
    /// The credentials are absent, malformed or wrong. Other entries may still authenticate.
    case unauthenticated(AuthFailure)
    /// The identity source could not decide (unreachable, timed out, overloaded). Never cached.
    case unavailable(AuthFailure)
}
