/// Where an authenticator finds credentials.
public enum CredentialScheme: Sendable, Hashable {
    /// `Authorization: Basic …` (file user store, LDAP).
    case basic
    /// `Authorization: Bearer …` (JWT, introspection).
    case bearer
    /// The verified client certificate of the TLS session (mTLS).
    case tlsClientCertificate

    /// The challenge a `401` carries for this scheme, if any.
    var challengeScheme: String? {
        switch self {
        case .basic: "Basic"
        case .bearer: "Bearer"
        case .tlsClientCertificate: nil
        }
    }
}
