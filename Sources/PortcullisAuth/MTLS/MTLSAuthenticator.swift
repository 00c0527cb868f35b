/// The `mtls` auth entry: the verified TLS client certificate's subject is the principal and
/// `subjectScopes` gives its scopes.
///
/// The listener has already verified the certificate chain (to the configured CAs only, with
/// validity dates) during the handshake; this authenticator only maps the result. Without a
/// verified certificate the entry does not authenticate, so other entries get their turn.
public struct MTLSAuthenticator: Authenticator {
    public var method: AuthMethod { .mtls }
    public var scheme: CredentialScheme { .tlsClientCertificate }

    /// Scopes by canonical subject (``DistinguishedNameText/canonical(_:)``).
    public let subjectScopes: [String: [String]]

    public init(subjectScopes: [String: [String]]) {
        self.subjectScopes = subjectScopes
    }

    public func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        self.decide(request.clientCertificate)
    }

    public func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        self.decide(request.clientCertificate)
    }

    /// The synchronous decision, for callers that are not in an async context.
    public func decide(_ certificate: ClientCertificate?) -> AuthenticationResult {
        guard let certificate else {
            return .unauthenticated(AuthFailure(.missingCredentials, "no verified client certificate"))
        }
        return .authenticated(
            Principal(subject: certificate.subject, scopes: self.subjectScopes[certificate.subject] ?? [], method: .mtls)
        )
    }
}
