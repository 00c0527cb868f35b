import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics
import PortcullisTLS

/// Builds authenticators and policies from configuration, sharing one authenticator per identity
/// source so that caches are shared by every route that uses it.
///
/// Loading reads every key file a JWT entry names (errors are ``ConfigError``s naming the file and
/// the config line) but contacts no identity provider: call ``start()`` for the first JWKS
/// fetches, run ``run()`` for the refreshes, and ``shutdown()`` at the end.
public struct AuthEngine: Sendable {
    /// The file user store, when any entry uses it.
    public let fileUserStore: FileUserStore?
    /// The JWKS endpoints the JWT entries fetch keys from.
    public let jwksSources: [JWKSKeySource]
    /// Things to tell the operator at start (an expired CA of an identity provider, for example).
    public let warnings: [ConfigDiagnostic]
    private let metrics: PortcullisMetrics?
    private let jwtAuthenticators: [(config: JWTValidatorConfig, authenticator: JWTAuthenticator)]
    private let introspectionAuthenticators: [(config: IntrospectionConfig, authenticator: IntrospectionAuthenticator)]
    private let ldapUserStores: [(config: LDAPUserStoreConfig, store: LDAPUserStore)]
    private let httpClients: [HTTPClient]

    /// Loads every authenticator `config` uses.
    ///
    /// - Parameters:
    ///   - config: the validated configuration.
    ///   - metrics: where auth, cache and identity-provider series go, if anywhere.
    ///   - fileUserStoreCache: the verified-credential cache of the file user store.
    ///   - logger: for identity-provider events (JWKS fetches).
    ///   - eventLoopGroup: what identity-provider clients run on.
    /// - Throws: ``ConfigError`` with one diagnostic per key file that cannot be used.
    public static func load(
        config: GatewayConfig,
        metrics: PortcullisMetrics?,
        fileUserStoreCache: FileUserStore.CacheSettings = .init(),
        logger: Logger = Logger(label: "portcullis.auth"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ConfigError) -> AuthEngine {
        var material = TLSMaterial()
        var jwt: [(config: JWTValidatorConfig, authenticator: JWTAuthenticator)] = []
        var introspection: [(config: IntrospectionConfig, authenticator: IntrospectionAuthenticator)] = []
        var ldap: [(config: LDAPUserStoreConfig, store: LDAPUserStore)] = []
        var sources: [JWKSKeySource] = []
        var clients: [IdentityProviderClientKey: HTTPClient] = [:]
        /// Token endpoint clients of identity providers whose `clientConfig.auth` is an OAuth2 grant.
        var tokenClients: [HTTPClient] = []
        var tlsConfigurations: [ClientSecureSocketConfig: TLSConfiguration?] = [:]
        /// The TLS settings of an identity-provider client, built once per distinct `secureSocket`;
        /// `usable` is false when its files cannot be used (a diagnostic says why).
        func clientTLS(_ secureSocket: ClientSecureSocketConfig?) -> (usable: Bool, tls: TLSConfiguration?) {
            guard let secureSocket else { return (true, nil) }
            if tlsConfigurations[secureSocket] == nil {
                tlsConfigurations[secureSocket] = ClientTLSConfiguration.make(secureSocket, material: &material)
            }
            guard let built = tlsConfigurations[secureSocket] ?? nil else { return (false, nil) }
            return (true, built)
        }
        /// The token manager of an identity provider whose `clientConfig.auth` is an OAuth2 grant,
        /// with a token-endpoint client of its own (`nil` for other auth); `usable` is false when
        /// the token endpoint's TLS files cannot be used (a diagnostic says why).
        func grantCredential(_ auth: IdentityProviderClientAuth?) -> (usable: Bool, manager: OAuth2TokenManager?) {
            guard case .oauth2(let grant)? = auth else { return (true, nil) }
            let (usable, tls) = clientTLS(grant.endpoint.client.secureSocket)
            guard usable else { return (false, nil) }
            let tokenClient = HTTPClient(
                eventLoopGroupProvider: .shared(eventLoopGroup),
                configuration: TokenEndpoint.clientConfiguration(grant.endpoint.client, tls: tls)
            )
            tokenClients.append(tokenClient)
            return (true, OAuth2TokenManager(config: grant, client: tokenClient, metrics: metrics, logger: logger))
        }
        let entries = config.services.flatMap { service in service.auth + service.resources.flatMap { $0.auth ?? [] } }
        for entry in entries {
            switch entry.method {
            case .ldapUserStore(let ldapConfig) where !ldap.contains(where: { $0.config == ldapConfig }):
                var caFile: String?
                if case .pem(let file)? = ldapConfig.secureSocket?.cert, let location = ldapConfig.secureSocket?.certLocation {
                    // libldap reads the file itself; checked here so a bad one is a start-up error naming it.
                    guard material.trustRoots(.pem(certFile: file), at: location) != nil else { continue }
                    caFile = file
                }
                ldap.append((ldapConfig, Self.ldapUserStore(ldapConfig, caFile: caFile, metrics: metrics, logger: logger)))
            case .introspection(let introspectionConfig) where !introspection.contains(where: { $0.config == introspectionConfig }):
                let (usable, tls) = clientTLS(introspectionConfig.client.secureSocket)
                guard usable else { continue }
                let credential = grantCredential(introspectionConfig.client.auth)
                guard credential.usable else { continue }
                let endpoint = IntrospectionEndpoint(
                    config: introspectionConfig,
                    tls: tls,
                    eventLoopGroup: eventLoopGroup,
                    metrics: metrics,
                    logger: logger,
                    credential: credential.manager
                )
                introspection.append((introspectionConfig, IntrospectionAuthenticator(config: introspectionConfig, endpoint: endpoint, metrics: metrics)))
            case .jwt(let validator) where !jwt.contains(where: { $0.config == validator }):
                let keys: any JWTKeySource
                if case .jwks(let jwks) = validator.signature {
                    let client = jwks.client
                    let (usable, tls) = clientTLS(client.secureSocket)
                    let credential = grantCredential(client.auth)
                    guard usable, credential.usable else { continue }
                    let clientKey = IdentityProviderClientKey(secureSocket: client.secureSocket, connectTimeoutSeconds: client.connectTimeoutSeconds)
                    let httpClient =
                        clients[clientKey]
                        ?? HTTPClient(
                            eventLoopGroupProvider: .shared(eventLoopGroup),
                            configuration: IdentityProviderHTTPConfiguration.make(tls: tls, connectTimeoutSeconds: client.connectTimeoutSeconds)
                        )
                    clients[clientKey] = httpClient
                    let source = JWKSKeySource(config: jwks, client: httpClient, metrics: metrics, logger: logger, credential: credential.manager)
                    sources.append(source)
                    keys = source
                } else {
                    guard let key = await JWTKeyLoader.key(for: validator.signature, material: &material) else { continue }
                    keys = StaticJWTKeySource(JWTKeySet(keys: [key]))
                }
                jwt.append((validator, JWTAuthenticator(config: validator, keys: keys, metrics: metrics)))
            default:
                continue
            }
        }
        guard material.diagnostics.isEmpty else {
            for client in Array(clients.values) + tokenClients {
                try? await client.shutdown()
            }
            for (_, authenticator) in introspection {
                await authenticator.endpoint.shutdown()
            }
            for (_, store) in ldap {
                await store.pool.shutdown()
            }
            throw ConfigError(diagnostics: material.diagnostics)
        }
        return AuthEngine(
            fileUserStore: config.users.isEmpty ? nil : FileUserStore(users: config.users, cache: fileUserStoreCache, metrics: metrics),
            jwksSources: sources,
            warnings: material.warnings,
            metrics: metrics,
            jwtAuthenticators: jwt,
            introspectionAuthenticators: introspection,
            ldapUserStores: ldap,
            httpClients: Array(clients.values) + tokenClients
        )
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
        jwksSources: [JWKSKeySource],
        warnings: [ConfigDiagnostic],
        metrics: PortcullisMetrics?,
        jwtAuthenticators: [(config: JWTValidatorConfig, authenticator: JWTAuthenticator)],
        introspectionAuthenticators: [(config: IntrospectionConfig, authenticator: IntrospectionAuthenticator)],
        ldapUserStores: [(config: LDAPUserStoreConfig, store: LDAPUserStore)],
        httpClients: [HTTPClient]
    ) {
        self.fileUserStore = fileUserStore
        self.jwksSources = jwksSources
        self.warnings = warnings
        self.metrics = metrics
        self.jwtAuthenticators = jwtAuthenticators
        self.introspectionAuthenticators = introspectionAuthenticators
        self.ldapUserStores = ldapUserStores
        self.httpClients = httpClients
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
                    self.ldapUserStores.first(where: { $0.config == ldapConfig })?.store
                    ?? UnavailableAuthenticator(method: .basicLDAP, scheme: .basic)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            case .mtls(let subjectScopes):
                return AuthEntry(authenticator: MTLSAuthenticator(subjectScopes: subjectScopes), scopes: entry.scopes)
            case .jwt(let validator):
                let authenticator: any Authenticator =
                    self.jwtAuthenticators.first(where: { $0.config == validator })?.authenticator
                    ?? UnavailableAuthenticator(method: .jwt, scheme: .bearer)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            case .introspection(let introspection):
                let authenticator: any Authenticator =
                    self.introspectionAuthenticators.first(where: { $0.config == introspection })?.authenticator
                    ?? UnavailableAuthenticator(method: .introspection, scheme: .bearer)
                return AuthEntry(authenticator: authenticator, scopes: entry.scopes)
            }
        }
        return AuthPolicy(entries: built, metrics: self.metrics)
    }

    /// Fetches every JWKS once and binds to every LDAP directory once as its service account,
    /// concurrently. A failure is logged, not fatal: sources retry, and the directory is tried
    /// again by the next request.
    public func start() async {
        await withTaskGroup(of: Void.self) { group in
            for source in self.jwksSources {
                group.addTask { await source.refresh() }
            }
            for (_, store) in self.ldapUserStores {
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

    /// Closes the identity-provider clients and LDAP connections.
    public func shutdown() async {
        for client in self.httpClients {
            try? await client.shutdown()
        }
        for (_, authenticator) in self.introspectionAuthenticators {
            await authenticator.endpoint.shutdown()
        }
        for (_, store) in self.ldapUserStores {
            await store.pool.shutdown()
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
