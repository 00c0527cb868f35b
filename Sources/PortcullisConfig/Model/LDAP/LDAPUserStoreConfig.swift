/// `ldapUserStoreConfig`: Basic credentials checked against an LDAP directory (Ballerina's
/// `LdapUserStoreConfig`), the user's groups becoming the principal's scopes.
///
/// Every Ballerina field is read. `userNameAttribute` names the attribute whose value becomes the
/// principal's subject, and `userEntryObjectClass` / `groupEntryObjectClass` build the default
/// filters when `userNameSearchFilter` / `groupNameListFilter` are absent. `domainName`,
/// `userNameListFilter` and `groupNameSearchFilter` are accepted and kept but have no use in
/// authentication (Ballerina ignores them too).
///
/// Its description never shows `connectionPassword`.
public struct LDAPUserStoreConfig: Sendable, Equatable, CustomStringConvertible {
    /// `domainName`: a name for the store, shown in logs.
    public var domainName: String?
    /// `connectionUrl`: `ldap://host[:port]` or `ldaps://host[:port]`; several separated by spaces
    /// are tried in turn.
    public var connectionURL: String
    /// `connectionName`: the service account's DN, bound for every search.
    public var connectionName: String
    /// `connectionPassword`: the service account's password.
    public var connectionPassword: String
    /// `userSearchBase`: where users are searched, several separated by `#` (Ballerina's form).
    public var userSearchBases: [String]
    /// `userNameAttribute`: the user entry's attribute whose value is the principal's subject.
    public var userNameAttribute: String
    /// `userNameSearchFilter`: finds a user; every `?` becomes the escaped user name (RFC 4515).
    public var userNameSearchFilter: String
    /// `groupSearchBase`: where groups are searched; empty: no group lookup, no scopes.
    public var groupSearchBases: [String]
    /// `groupNameAttribute`: the group entry's attribute whose values become scopes.
    public var groupNameAttribute: String
    /// `groupNameListFilter`: which entries under the group bases are groups.
    public var groupNameListFilter: String
    /// `membershipAttribute`: the group attribute listing members, by DN (`member`,
    /// `uniqueMember`) or by user name (`memberUid`).
    public var membershipAttribute: String
    /// `userRolesCacheEnabled`: cache each user's groups as long as their verified credential.
    public var userRolesCacheEnabled: Bool
    /// `connectionPoolingEnabled`: keep connections open between requests (default `true`).
    public var connectionPoolingEnabled: Bool
    /// `connectionPoolSize` (not a Ballerina field): the most connections open at once.
    public var connectionPoolSize: Int
    /// `connectionTimeout` (seconds) or `connectionTimeoutInMillis`: opening a connection.
    public var connectTimeoutSeconds: Double
    /// `readTimeout` (seconds) or `readTimeoutInMillis`: one bind or search.
    public var readTimeoutSeconds: Double
    /// `secureClientSocket` (or `secureSocket`): `cert` (a PEM file of the CAs trusted for
    /// `ldaps://`) or `disable`.
    public var secureSocket: ClientSecureSocketConfig?
    /// `cacheConfig` (not a Ballerina field): the verified-credential cache.
    public var cache: CacheSettingsConfig
    /// Accepted for compatibility; no use in authentication.
    public var userNameListFilter: String?
    public var groupNameSearchFilter: String?

    public static let defaultConnectTimeoutSeconds: Double = 5
    public static let defaultReadTimeoutSeconds: Double = 60
    public static let defaultPoolSize = 8

    public init(
        connectionURL: String,
        connectionName: String,
        connectionPassword: String,
        userSearchBases: [String],
        userNameAttribute: String = "uid",
        userNameSearchFilter: String = "(&(objectClass=person)(uid=?))",
        groupSearchBases: [String] = [],
        groupNameAttribute: String = "cn",
        groupNameListFilter: String = "(objectClass=groupOfNames)",
        membershipAttribute: String = "member",
        userRolesCacheEnabled: Bool = false,
        connectionPoolingEnabled: Bool = true,
        connectionPoolSize: Int = Self.defaultPoolSize,
        connectTimeoutSeconds: Double = Self.defaultConnectTimeoutSeconds,
        readTimeoutSeconds: Double = Self.defaultReadTimeoutSeconds,
        secureSocket: ClientSecureSocketConfig? = nil,
        cache: CacheSettingsConfig = .init(),
        domainName: String? = nil
    ) {
        self.domainName = domainName
        self.connectionURL = connectionURL
        self.connectionName = connectionName
        self.connectionPassword = connectionPassword
        self.userSearchBases = userSearchBases
        self.userNameAttribute = userNameAttribute
        self.userNameSearchFilter = userNameSearchFilter
        self.groupSearchBases = groupSearchBases
        self.groupNameAttribute = groupNameAttribute
        self.groupNameListFilter = groupNameListFilter
        self.membershipAttribute = membershipAttribute
        self.userRolesCacheEnabled = userRolesCacheEnabled
        self.connectionPoolingEnabled = connectionPoolingEnabled
        self.connectionPoolSize = connectionPoolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.secureSocket = secureSocket
        self.cache = cache
    }

    public var description: String {
        "LDAP user store \(self.domainName ?? self.connectionURL) (\(self.connectionURL), bound as \(self.connectionName))"
    }
}
