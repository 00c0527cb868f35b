/// One entry of an `auth` array: a way to authenticate and the scopes it requires.
public struct AuthEntryConfig: Sendable, Equatable {
    public var method: AuthMethodConfig
    /// Any-of scopes; `nil` means the entry only authenticates.
    public var scopes: [String]?

    public init(method: AuthMethodConfig, scopes: [String]? = nil) {
        self.method = method
        self.scopes = scopes
    }
}

/// How an auth entry authenticates.
public enum AuthMethodConfig: Sendable, Equatable {
    /// `fileUserStoreConfig = {}`: Basic credentials checked against `[[ballerina.auth.users]]`.
    case fileUserStore
    /// `ldapUserStoreConfig`: Basic credentials checked against an LDAP directory; groups are scopes.
    case ldapUserStore(LDAPUserStoreConfig)
    /// `mtls = { subjectScopes }`: the verified TLS client certificate's subject is the principal.
    /// Keys are subjects in the canonical form of ``DistinguishedNameText/canonical(_:)``.
    case mtls(subjectScopes: [String: [String]])
    /// `jwtValidatorConfig`: a bearer JWT verified with a configured key and claim checks.
    case jwt(JWTValidatorConfig)
    /// `oauth2IntrospectionConfig`: a bearer token the authorization server says is active.
    case introspection(IntrospectionConfig)
}
