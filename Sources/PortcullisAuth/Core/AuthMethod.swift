/// The ways a principal can be authenticated; the raw value is the `auth` metric label.
public enum AuthMethod: String, Sendable, Hashable, CaseIterable {
    case basicFile = "basic_file"
    case basicLDAP = "basic_ldap"
    case jwt
    case introspection
    case mtls
}
