import PortcullisConfig
import PortcullisMetrics

/// Builds authenticators and policies from configuration, sharing one authenticator per identity
/// source so that caches are shared by every route that uses it.
public struct AuthEngine: Sendable {
    /// The file user store, when any entry uses it.
    public let fileUserStore: FileUserStore?
    private let metrics: PortcullisMetrics?

    public init(config: GatewayConfig, metrics: PortcullisMetrics?, fileUserStoreCache: FileUserStore.CacheSettings = .init()) {
        self.metrics = metrics
        self.fileUserStore = config.users.isEmpty ? nil : FileUserStore(users: config.users, cache: fileUserStoreCache, metrics: metrics)
    }

    /// The policy for one `auth` array.
    public func policy(for entries: [AuthEntryConfig]) -> AuthPolicy {
        let built: [AuthEntry] = entries.compactMap { entry in
            switch entry.method {
            case .fileUserStore:
                // The validator refuses fileUserStoreConfig without users, so the store exists here.
                guard let store = self.fileUserStore else { return nil }
                return AuthEntry(authenticator: store, scopes: entry.scopes)
            case .mtls(let subjectScopes):
                return AuthEntry(authenticator: MTLSAuthenticator(subjectScopes: subjectScopes), scopes: entry.scopes)
            }
        }
        return AuthPolicy(entries: built, metrics: self.metrics)
    }
}
