import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisLDAP
import PortcullisMetrics
import PortcullisTLS

/// Builds authenticators and policies from configuration, sharing one authenticator per identity
/// source so that caches are shared by every route that uses it.
///
/// Loading reads every key file a JWT entry names (errors are ``ConfigError``s naming the file and
/// the config line) but contacts no identity provider: call ``start(after:)`` for the first JWKS
/// fetches, run ``run()`` for the refreshes, and ``shutdown(keeping:)`` at the end.
///
/// A reload loads a new engine *reusing* the previous one: an authenticator whose configuration
/// and files (keys, certificates, trust stores, compared by digest) did not change is carried over
/// with its cache, its JWKS keys, its token manager and its connections; the rest is built anew,
/// and the previous engine's ``shutdown(keeping:)`` closes only what the new one dropped.
public struct AuthEngine: Sendable {
    /// The file user store, when any entry uses it.
    public let fileUserStore: FileUserStore?
    /// The JWKS endpoints the JWT entries fetch keys from.
    public let jwksSources: [JWKSKeySource]
    /// Things to tell the operator at start (an expired CA of an identity provider, for example).
    public let warnings: [ConfigDiagnostic]
    private let metrics: PortcullisMetrics?
    /// The users and cache settings ``fileUserStore`` was built from.
    private let fileUsers: [FileUserConfig]
    private let fileUserStoreCache: FileUserStore.CacheSettings
    private let jwtAuthenticators: [Component<JWTValidatorConfig, JWTAuthenticator>]
    private let introspectionAuthenticators: [Component<IntrospectionConfig, IntrospectionAuthenticator>]
    private let ldapUserStores: [Component<LDAPUserStoreConfig, LDAPUserStore>]

    /// One authenticator, with what it was built from and the clients it owns.
    private struct Component<Config: Equatable & Sendable, Value: AnyObject & Sendable>: Sendable {
        let config: Config
        /// The files read to build it, with their digests.
        let files: [FileFingerprint]
        let value: Value
        /// The identity-provider clients it calls through (possibly shared with other components).
        let clients: [HTTPClient]
        /// Its JWKS source, for a JWT authenticator that fetches keys.
        var jwksSource: JWKSKeySource? = nil

        func builtFrom(_ config: Config, _ files: [FileFingerprint]) -> Bool {
            self.config == config && self.files == files
        }
    }

    /// Loads every authenticator `config` uses.
    ///
    /// - Parameters:
    ///   - config: the validated configuration.
    ///   - metrics: where auth, cache and identity-provider series go, if anywhere.
    ///   - fileUserStoreCache: the verified-credential cache of the file user store.
    ///   - logger: for identity-provider events (JWKS fetches).
    ///   - eventLoopGroup: what identity-provider clients run on.
    ///   - claims: whether principals from tokens carry their other claims (a gateway that never
    ///     reads them drops them: most of a cached token's memory).
    ///   - previous: the engine serving until now, on a reload: what is unchanged is taken from it.
    /// - Throws: ``ConfigError`` with one diagnostic per key file that cannot be used; nothing of
    ///   `previous` is closed then.
    public static func load(
        config: GatewayConfig,
        metrics: PortcullisMetrics?,
        fileUserStoreCache: FileUserStore.CacheSettings = .init(),
        logger: Logger = Logger(label: "portcullis.auth"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        claims: PrincipalClaims = .kept,
        reusing previous: AuthEngine? = nil
    ) async throws(ConfigError) -> AuthEngine {
        var material = TLSMaterial()
        var jwt: [Component<JWTValidatorConfig, JWTAuthenticator>] = []
        var introspection: [Component<IntrospectionConfig, IntrospectionAuthenticator>] = []
        var ldap: [Component<LDAPUserStoreConfig, LDAPUserStore>] = []
        var clients: [IdentityProviderClientKey: HTTPClient] = [:]
        var tlsConfigurations: [ClientSecureSocketConfig: (tls: TLSConfiguration?, files: [FileFingerprint])] = [:]
        /// The TLS settings of an identity-provider client, built once per distinct `secureSocket`,
        /// with the files they were read from; `usable` is false when its files cannot be used (a
        /// diagnostic says why).
        func clientTLS(_ secureSocket: ClientSecureSocketConfig?) -> (usable: Bool, tls: TLSConfiguration?, files: [FileFingerprint]) {
            guard let secureSocket else { return (true, nil, []) }
            if let built = tlsConfigurations[secureSocket] {
                return (built.tls != nil, built.tls, built.files)
            }
            let mark = material.filesRead.count
            let tls = ClientTLSConfiguration.make(secureSocket, material: &material)
            let files = material.filesRead(since: mark)
            tlsConfigurations[secureSocket] = (tls, files)
            return (tls != nil, tls, files)
        }
        /// The token endpoint's TLS settings when `auth` is an OAuth2 grant.
        func grantTLS(_ auth: IdentityProviderClientAuth?) -> (usable: Bool, tls: TLSConfiguration?, files: [FileFingerprint]) {
            guard case .oauth2(let grant)? = auth else { return (true, nil, []) }
            return clientTLS(grant.endpoint.client.secureSocket)
        }
        /// The token manager of an identity provider whose `clientConfig.auth` is an OAuth2 grant,
        /// with a token-endpoint client of its own (`nil` for other auth).
        func grantCredential(_ auth: IdentityProviderClientAuth?, tls: TLSConfiguration?) -> (manager: OAuth2TokenManager?, clients: [HTTPClient]) {
            guard case .oauth2(let grant)? = auth else { return (nil, []) }
            let tokenClient = HTTPClient(
                eventLoopGroupProvider: .shared(eventLoopGroup),
                configuration: TokenEndpoint.clientConfiguration(grant.endpoint.client, tls: tls)
            )
            return (OAuth2TokenManager(config: grant, client: tokenClient, metrics: metrics, logger: logger), [tokenClient])
        }
        let entries = config.services.flatMap { service in service.auth + service.resources.flatMap { $0.auth ?? [] } }
        for entry in entries {
            switch entry.method {
            case .ldapUserStore(let ldapConfig) where !ldap.contains(where: { $0.config == ldapConfig }):
                let mark = material.filesRead.count
                var caFile: String?
                if case .pem(let file)? = ldapConfig.secureSocket?.cert, let location = ldapConfig.secureSocket?.certLocation {
                    // libldap reads the file itself; checked here so a bad one is a start-up error naming it.
                    guard material.trustRoots(.pem(certFile: file), at: location) != nil else { continue }
                    caFile = file
                }
                let files = material.filesRead(since: mark)
                if let kept = previous?.ldapUserStores.first(where: { $0.builtFrom(ldapConfig, files) }) {
                    ldap.append(kept)
                    continue
                }
                let store = Self.ldapUserStore(ldapConfig, caFile: caFile, metrics: metrics, logger: logger)
                ldap.append(Component(config: ldapConfig, files: files, value: store, clients: []))
            case .introspection(let introspectionConfig) where !introspection.contains(where: { $0.config == introspectionConfig }):
                let endpointTLS = clientTLS(introspectionConfig.client.secureSocket)
                let tokenTLS = grantTLS(introspectionConfig.client.auth)
                guard endpointTLS.usable, tokenTLS.usable else { continue }
                let files = endpointTLS.files + tokenTLS.files
                if let kept = previous?.introspectionAuthenticators.first(where: { $0.builtFrom(introspectionConfig, files) }) {
                    introspection.append(kept)
                    continue
                }
                let credential = grantCredential(introspectionConfig.client.auth, tls: tokenTLS.tls)
                let endpoint = IntrospectionEndpoint(
                    config: introspectionConfig,
                    tls: endpointTLS.tls,
                    eventLoopGroup: eventLoopGroup,
                    metrics: metrics,
                    logger: logger,
                    credential: credential.manager
                )
                let authenticator = IntrospectionAuthenticator(config: introspectionConfig, endpoint: endpoint, metrics: metrics, claims: claims)
                introspection.append(Component(config: introspectionConfig, files: files, value: authenticator, clients: credential.clients))
            case .jwt(let validator) where !jwt.contains(where: { $0.config == validator }):
                if case .jwks(let jwks) = validator.signature {
                    let client = jwks.client
                    let fetchTLS = clientTLS(client.secureSocket)
                    let tokenTLS = grantTLS(client.auth)
                    guard fetchTLS.usable, tokenTLS.usable else { continue }
                    let files = fetchTLS.files + tokenTLS.files
                    if let kept = previous?.jwtAuthenticators.first(where: { $0.builtFrom(validator, files) }) {
                        jwt.append(kept)
                        continue
                    }
                    let credential = grantCredential(client.auth, tls: tokenTLS.tls)
                    let clientKey = IdentityProviderClientKey(secureSocket: client.secureSocket, connectTimeoutSeconds: client.connectTimeoutSeconds)
                    let httpClient =
                        clients[clientKey]
                        ?? HTTPClient(
                            eventLoopGroupProvider: .shared(eventLoopGroup),
                            configuration: IdentityProviderHTTPConfiguration.make(tls: fetchTLS.tls, connectTimeoutSeconds: client.connectTimeoutSeconds)
                        )
                    clients[clientKey] = httpClient
                    let source = JWKSKeySource(config: jwks, client: httpClient, metrics: metrics, logger: logger, credential: credential.manager)
                    let authenticator = JWTAuthenticator(config: validator, keys: source, metrics: metrics, claims: claims)
                    jwt.append(Component(config: validator, files: files, value: authenticator, clients: [httpClient] + credential.clients, jwksSource: source))
                } else {
                    let mark = material.filesRead.count
                    guard let key = await JWTKeyLoader.key(for: validator.signature, material: &material) else { continue }
                    let files = material.filesRead(since: mark)
                    if let kept = previous?.jwtAuthenticators.first(where: { $0.builtFrom(validator, files) }) {
                        jwt.append(kept)
                        continue
                    }
                    let authenticator = JWTAuthenticator(config: validator, keys: StaticJWTKeySource(JWTKeySet(keys: [key])), metrics: metrics, claims: claims)
                    jwt.append(Component(config: validator, files: files, value: authenticator, clients: []))
                }
            default:
                continue
            }
        }
        // The file store's configuration includes its user table: a changed password, user or
        // scope empties its cache.
        var fileUserStore: FileUserStore?
        if !config.users.isEmpty {
            if let previous, let kept = previous.fileUserStore, previous.fileUsers == config.users,
                previous.fileUserStoreCache.capacity == fileUserStoreCache.capacity,
                previous.fileUserStoreCache.timeToLive == fileUserStoreCache.timeToLive
            {
                fileUserStore = kept
            } else {
                fileUserStore = FileUserStore(users: config.users, cache: fileUserStoreCache, metrics: metrics)
            }
        }
        let engine = AuthEngine(
            fileUserStore: fileUserStore,
            warnings: material.warnings,
            metrics: metrics,
            fileUsers: config.users,
            fileUserStoreCache: fileUserStoreCache,
            jwtAuthenticators: jwt,
            introspectionAuthenticators: introspection,
            ldapUserStores: ldap
        )
        guard material.diagnostics.isEmpty else {
            // Close what this load made; what it took from `previous` goes on serving there.
            await engine.shutdown(keeping: previous)
            throw ConfigError(diagnostics: material.diagnostics)
        }
        return engine
    }

    private static func ldapUserStore(
        _ config: LDAPUserStoreConfig,
        caFile: String?,
        metrics: PortcullisMetrics?,
        logger: Logger
    ) -> LDAPUserStore {
        var poolLogger = logger
        poolLogger[metadataKey: "ldap"] = "\(config.domainName ?? config.connectionURL)"
        let pool = LDAPConnectionPool(
            settings: .init(
                url: config.connectionURL,
                serviceDN: config.connectionName,
                servicePassword: config.connectionPassword,
                connectTimeoutSeconds: config.connectTimeoutSeconds,
                operationTimeoutSeconds: config.readTimeoutSeconds,
                caFile: caFile,
                verifyServer: !(config.secureSocket?.disable ?? false),
                size: config.connectionPoolSize,
                pooling: config.connectionPoolingEnabled
            ),
            metrics: metrics,
            logger: poolLogger
        )
        let settings = LDAPUserStore.Settings(
            userSearchBases: config.userSearchBases,
            userNameSearchFilter: config.userNameSearchFilter,
            userNameAttribute: config.userNameAttribute,
            groupSearchBases: config.groupSearchBases,
            groupNameListFilter: config.groupNameListFilter,
            membershipAttribute: config.membershipAttribute,
            groupNameAttribute: config.groupNameAttribute,
            userRolesCacheEnabled: config.userRolesCacheEnabled,
            cache: .init(capacity: config.cache.capacity, timeToLive: .nanoseconds(Int64(min(config.cache.maxAgeSeconds, 86_400) * 1e9)))
        )
        return LDAPUserStore(pool: pool, settings: settings, metrics: metrics)
    }

    private init(
        fileUserStore: FileUserStore?,
        warnings: [ConfigDiagnostic],
        metrics: PortcullisMetrics?,
        fileUsers: [FileUserConfig],
        fileUserStoreCache: FileUserStore.CacheSettings,
        jwtAuthenticators: [Component<JWTValidatorConfig, JWTAuthenticator>],
        introspectionAuthenticators: [Component<IntrospectionConfig, IntrospectionAuthenticator>],
        ldapUserStores: [Component<LDAPUserStoreConfig, LDAPUserStore>]
    ) {
        self.fileUserStore = fileUserStore
        self.jwksSources = jwtAuthenticators.compactMap(\.jwksSource)
        self.warnings = warnings
        self.metrics = metrics
        self.fileUsers = fileUsers
        self.fileUserStoreCache = fileUserStoreCache
        self.jwtAuthenticators = jwtAuthenticators
        self.introspectionAuthenticators = introspectionAuthenticators
        self.ldapUserStores = ldapUserStores
    }

    /// The policy for one `auth` array.
    public func policy(for entries: [AuthEntryConfig]) -> AuthPolicy {
        let built: [AuthEntry] = entries.map { entry in
            switch entry.method {
            case .fileUserStore:
                // The validator refuses fileUserStoreConfig without users; fail closed regardless.
                let store: any Authenticator = self.fileUserStore ?? UnavailableAuthenticator(method: .basicFile, scheme: .basic)
                return AuthEntry(authenticator: store, scopes: entry.scopes)
            case .ldapUserStore(let ldapConfig):
                let authenticator: any Authenticator =
                    self.ldapUserStores.first(where: { $0.config == ldapConfig })?.value
                    ?? UnavailableAuthenticator(method: .basicLDAP, scheme: .basic)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            case .mtls(let subjectScopes):
                return AuthEntry(authenticator: MTLSAuthenticator(subjectScopes: subjectScopes), scopes: entry.scopes)
            case .jwt(let validator):
                let authenticator: any Authenticator =
                    self.jwtAuthenticators.first(where: { $0.config == validator })?.value
                    ?? UnavailableAuthenticator(method: .jwt, scheme: .bearer)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            case .introspection(let introspection):
                let authenticator: any Authenticator =
                    self.introspectionAuthenticators.first(where: { $0.config == introspection })?.value
                    ?? UnavailableAuthenticator(method: .introspection, scheme: .bearer)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            }
        }
        return AuthPolicy(entries: built, metrics: self.metrics)
    }

    /// Fetches every JWKS once and binds to every LDAP directory once as its service account,
    /// concurrently; after a reload, only the sources and directories `previous` did not have. A
    /// failure is logged, not fatal: sources retry, and the directory is tried again by the next
    /// request.
    public func start(after previous: AuthEngine? = nil) async {
        let started = Set((previous?.jwksSources ?? []).map(ObjectIdentifier.init))
        let bound = Set((previous?.ldapUserStores ?? []).map { ObjectIdentifier($0.value) })
        await withTaskGroup(of: Void.self) { group in
            for source in self.jwksSources where !started.contains(ObjectIdentifier(source)) {
                group.addTask { await source.refresh() }
            }
            for component in self.ldapUserStores where !bound.contains(ObjectIdentifier(component.value)) {
                let store = component.value
                group.addTask { _ = try? await store.pool.withServiceConnection { _ in () } }
            }
        }
    }

    /// Runs the JWKS refreshes until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for source in self.jwksSources {
                group.addTask { await source.run() }
            }
        }
    }

    /// Closes the identity-provider clients and LDAP connections, except those `successor` (the
    /// engine loaded by a reload) took over; `nil` closes everything.
    public func shutdown(keeping successor: AuthEngine? = nil) async {
        var kept = Set<ObjectIdentifier>()
        if let successor {
            for component in successor.jwtAuthenticators {
                kept.insert(ObjectIdentifier(component.value))
                kept.formUnion(component.clients.map(ObjectIdentifier.init))
            }
            for component in successor.introspectionAuthenticators {
                kept.insert(ObjectIdentifier(component.value))
                kept.formUnion(component.clients.map(ObjectIdentifier.init))
            }
            kept.formUnion(successor.ldapUserStores.map { ObjectIdentifier($0.value) })
        }
        var clients: [ObjectIdentifier: HTTPClient] = [:]
        for component in self.jwtAuthenticators where !kept.contains(ObjectIdentifier(component.value)) {
            for client in component.clients { clients[ObjectIdentifier(client)] = client }
        }
        for component in self.introspectionAuthenticators where !kept.contains(ObjectIdentifier(component.value)) {
            for client in component.clients { clients[ObjectIdentifier(client)] = client }
            await component.value.endpoint.shutdown()
        }
        for (identifier, client) in clients where !kept.contains(identifier) {
            try? await client.shutdown()
        }
        for component in self.ldapUserStores where !kept.contains(ObjectIdentifier(component.value)) {
            await component.value.pool.shutdown()
        }
    }
}

/// Identity-provider calls with the same TLS settings and connect timeout share one client.
private struct IdentityProviderClientKey: Hashable {
    var secureSocket: ClientSecureSocketConfig?
    var connectTimeoutSeconds: Double
}

/// Stands in for an authenticator that could not be built: never authenticates anyone.
private struct UnavailableAuthenticator: Authenticator {
    let method: AuthMethod
    let scheme: CredentialScheme

    func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        self.refusal
    }

    func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        self.refusal
    }

    private var refusal: AuthenticationResult {
        .unavailable(AuthFailure(.providerUnavailable, "\(self.method.rawValue) authenticator is not configured"))
    }
}
