import NIOCore
import PortcullisMetrics
import PortcullisAuth

/// An LDAP directory as a Basic-auth ``Authenticator`` (Ballerina's `LdapUserStoreConfig` flow).
///
/// 1. Find the user: `userNameSearchFilter` with every `?` replaced by the user name, escaped
///    (RFC 4515), searched under each user search base in turn as the service account; the first
///    base with a match decides, and a name matching two entries there is refused as ambiguous.
///    The principal's subject is the entry's `userNameAttribute` value (the directory's spelling:
///    `ALICE` found by a case-insensitive match is `alice`), else the name as presented.
/// 2. Check the password with a simple bind as that entry (``LDAPConnectionPool/verifyPassword(dn:password:)``);
///    an empty password is refused before any bind.
/// 3. Collect the groups: `(&<groupNameListFilter>(<membershipAttribute>=<value>))` under every
///    group search base, `value` being the user's DN, or the leftmost RDN value for `memberUid`;
///    the `groupNameAttribute` values become the principal's scopes.
///
/// A verified credential is cached under a keyed hash of the whole `user:password`, as the file
/// store does; with `userRolesCacheEnabled` a user's groups are cached too. Wrong passwords and
/// unknown users are not cached; a directory that cannot answer gives `unavailable` (503), never
/// cached. Concurrent misses for one credential share one directory round.
public final class LDAPUserStore: Authenticator {
    public var method: AuthMethod { .basicLDAP }
    public var scheme: CredentialScheme { .basic }

    /// Where users and groups are found.
    public struct Settings: Sendable {
        public var userSearchBases: [String]
        public var userNameSearchFilter: String
        /// The user attribute whose value is the principal's subject.
        public var userNameAttribute: String
        public var groupSearchBases: [String]
        public var groupNameListFilter: String
        public var membershipAttribute: String
        public var groupNameAttribute: String
        /// Cache each user's groups as long as their verified credential.
        public var userRolesCacheEnabled: Bool
        public var cache: FileUserStore.CacheSettings

        public init(
            userSearchBases: [String],
            userNameSearchFilter: String = "(&(objectClass=person)(uid=?))",
            userNameAttribute: String = "uid",
            groupSearchBases: [String],
            groupNameListFilter: String = "(objectClass=groupOfNames)",
            membershipAttribute: String = "member",
            groupNameAttribute: String = "cn",
            userRolesCacheEnabled: Bool = false,
            cache: FileUserStore.CacheSettings = .init()
        ) {
            self.userSearchBases = userSearchBases
            self.userNameSearchFilter = userNameSearchFilter
            self.userNameAttribute = userNameAttribute
            self.groupSearchBases = groupSearchBases
            self.groupNameListFilter = groupNameListFilter
            self.membershipAttribute = membershipAttribute
            self.groupNameAttribute = groupNameAttribute
            self.userRolesCacheEnabled = userRolesCacheEnabled
            self.cache = cache
        }
    }

    /// The directory's connections.
    public let pool: LDAPConnectionPool
    private let settings: Settings
    /// `nil` with `capacity = 0`: every request asks the directory.
    private let credentials: BoundedCache<CacheKey, Principal>?
    private let groups: BoundedCache<String, [String]>?
    private let keys = CacheKeyDeriver()
    /// The group lists of cached principals, shared: most users of a directory are in one of a
    /// few combinations of groups.
    private let scopeSets = ScopeSetInterner()
    private let inFlight = SingleFlight<CacheKey, AuthenticationResult>()

    public init(pool: LDAPConnectionPool, settings: Settings, metrics: PortcullisMetrics? = nil) {
        self.pool = pool
        self.settings = settings
        self.credentials =
            settings.cache.capacity == 0 ? nil : BoundedCache(capacity: settings.cache.capacity, metrics: metrics?.cache("basic_ldap") ?? .unregistered(), footprint: { _, principal in
                    // Group lists are shared (ScopeSetInterner): counted once, not per entry.
                    HeapFootprint.string(principal.subject) + HeapFootprint.claims(principal.claims)
                })
        self.groups =
            settings.userRolesCacheEnabled && settings.cache.capacity > 0
            ? BoundedCache(capacity: settings.cache.capacity, metrics: metrics?.cache("ldap_groups") ?? .unregistered(), footprint: { user, _ in
                // The group lists are shared (ScopeSetInterner), as in the credential cache.
                HeapFootprint.string(user)
            })
            : nil
    }

    /// A cached credential, or a request without usable Basic credentials, decides at once; a
    /// directory round does not.
    public func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        switch self.lookup(request, probingCache: true) {
        case .decided(let result): result
        case .directory: nil
        }
    }

    public func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        switch self.lookup(request, probingCache: false) {
        case .decided(let result):
            return result
        case .directory(let username, let password, let key):
            return await self.inFlight.run(key) {
                // A miss that arrives after another round for the same credential ended finds its
                // result cached: no second directory round.
                if let principal = self.credentials?.peek(key) {
                    return .authenticated(principal)
                }
                // Its own task: a client going away must not fail the callers sharing this round.
                return await Task { await self.verify(username: username, password: password, key: key) }.value
            }
        }
    }

    private enum Lookup {
        case decided(AuthenticationResult)
        case directory(username: String, password: String, key: CacheKey)
    }

    private func lookup(_ request: AuthRequest, probingCache: Bool) -> Lookup {
        guard case .basic(let presented) = request.credential else {
            return .decided(.unauthenticated(AuthFailure(.missingCredentials, "no Basic credentials")))
        }
        let key = self.keys.key(for: presented.decoded)
        if probingCache, let principal = self.credentials?.value(for: key) {
            return .decided(.authenticated(principal))
        }
        guard !presented.password.isEmpty else {
            // An LDAP simple bind without a password is an anonymous bind: never sent.
            return .decided(.unauthenticated(AuthFailure(.wrongPassword, "empty password")))
        }
        return .directory(username: presented.username, password: presented.password, key: key)
    }

    private func verify(username: String, password: String, key: CacheKey) async -> AuthenticationResult {
        do throws(LDAPError) {
            let user: LDAPEntry
            switch try await self.findUser(username) {
            case .none:
                return .unauthenticated(AuthFailure(.unknownUser, "user is not in the directory"))
            case .ambiguous:
                return .unauthenticated(AuthFailure(.unknownUser, "the name matches more than one directory entry"))
            case .found(let entry):
                user = entry
            }
            try await self.pool.verifyPassword(dn: user.dn, password: password)
            let scopes = try await self.groups(of: user.dn)
            let subject = user.values(self.settings.userNameAttribute).first ?? username
            let principal = Principal(subject: subject, scopes: scopes, method: .basicLDAP)
            let now = NIODeadline.now()
            self.credentials?.insert(principal, for: key, expiresAt: now + self.settings.cache.timeToLive, now: now)
            return .authenticated(principal)
        } catch .invalidCredentials {
            return .unauthenticated(AuthFailure(.wrongPassword, "the directory refused the password"))
        } catch {
            return .unavailable(AuthFailure(.providerUnavailable, "LDAP: \(error)"))
        }
    }

    private enum UserSearch: Sendable {
        case none
        case ambiguous
        case found(LDAPEntry)
    }

    /// The entry `userNameSearchFilter` finds for `username` under the first base that has one.
    private func findUser(_ username: String) async throws(LDAPError) -> UserSearch {
        let filter = LDAPFilter.substitute(username, into: self.settings.userNameSearchFilter)
        let bases = self.settings.userSearchBases
        let attribute = self.settings.userNameAttribute
        return try await self.pool.withServiceConnection { connection throws(LDAPError) in
            for base in bases {
                let entries = try connection.search(base: base, filter: filter, attributes: [attribute], sizeLimit: 2)
                if entries.count > 1 { return .ambiguous }
                if let entry = entries.first { return .found(entry) }
            }
            return .none
        }
    }

    private func groups(of dn: String) async throws(LDAPError) -> [String] {
        if let groups, let cached = groups.value(for: dn) {
            return cached
        }
        let settings = self.settings
        let member = settings.membershipAttribute.lowercased() == "memberuid" ? Self.leftmostValue(of: dn) : dn
        let filter = "(&\(settings.groupNameListFilter)(\(settings.membershipAttribute)=\(LDAPFilter.escape(member))))"
        let names = try await self.pool.withServiceConnection { connection throws(LDAPError) in
            var names: [String] = []
            for base in settings.groupSearchBases {
                for entry in try connection.search(base: base, filter: filter, attributes: [settings.groupNameAttribute]) {
                    for name in entry.values(settings.groupNameAttribute) where !names.contains(name) {
                        names.append(name)
                    }
                }
            }
            return self.scopeSets.intern(names)
        }
        if let groups {
            let now = NIODeadline.now()
            groups.insert(names, for: dn, expiresAt: now + settings.cache.timeToLive, now: now)
        }
        return names
    }

    /// `alice` of `uid=alice,ou=people,...` (the first RDN's value, escapes kept as written).
    package static func leftmostValue(of dn: String) -> String {
        var rdn = Substring(dn)
        var escaped = false
        for index in dn.indices {
            let character = dn[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                rdn = dn[..<index]
                break
            }
        }
        guard let equals = rdn.firstIndex(of: "=") else { return String(rdn) }
        return String(rdn[rdn.index(after: equals)...])
    }

    /// Verified credentials currently cached.
    public var cachedCredentialCount: Int { self.credentials?.entryCount ?? 0 }
}
