import NIOCore
import PortcullisConfig
import PortcullisMetrics

/// The `[[ballerina.auth.users]]` user store as a Basic-auth ``Authenticator``.
///
/// A verified credential is cached under a keyed hash of the whole `user:password` (bounded, with
/// a TTL), so bcrypt runs once per credential rather than once per request; concurrent misses for
/// one credential share one bcrypt run. Failures are not cached: a wrong password is checked each
/// time, on the bounded ``BlockingWorkPool``.
public final class FileUserStore: Authenticator {
    public var method: AuthMethod { .basicFile }
    public var scheme: CredentialScheme { .basic }

    /// Settings of the verified-credential cache.
    public struct CacheSettings: Sendable {
        public var capacity: Int
        /// How long a verified credential is trusted without rechecking, in seconds.
        public var timeToLive: TimeAmount

        public init(capacity: Int = 10_000, timeToLive: TimeAmount = .minutes(5)) {
            self.capacity = capacity
            self.timeToLive = timeToLive
        }
    }

    private struct User: Sendable {
        var name: String
        var password: StoredPassword
        var principal: Principal
        /// Stands in for a name the store does not have (see ``placeholder``).
        var isPlaceholder = false
    }

    private let users: [String: User]
    /// What an unknown name is checked against when the store holds bcrypt users: a hash of no
    /// password at the store's typical cost, so an unknown name costs what a wrong password costs
    /// and the time of a refusal does not tell which names exist.
    private let placeholder: User?
    private let cache: BoundedCache<CacheKey, Principal>
    private let keys = CacheKeyDeriver()
    private let inFlight = SingleFlight<CacheKey, AuthenticationResult>()
    private let pool: BlockingWorkPool
    private let timeToLive: TimeAmount

    public init(
        users: [FileUserConfig],
        cache settings: CacheSettings = CacheSettings(),
        metrics: PortcullisMetrics? = nil,
        pool: BlockingWorkPool = .shared
    ) {
        var table: [String: User] = [:]
        for user in users {
            table[user.username] = User(
                name: user.username,
                password: user.password,
                principal: Principal(subject: user.username, scopes: user.scopes ?? [], method: .basicFile)
            )
        }
        self.users = table
        self.placeholder = Self.placeholder(for: users.map(\.password))
        // A cached principal shares its strings with the user table: no heap of its own counted.
        self.cache = BoundedCache(
            capacity: settings.capacity,
            metrics: metrics?.cache("basic_file") ?? .unregistered()
        )
        self.pool = pool
        self.timeToLive = settings.timeToLive
    }

    /// A cached credential, an unknown user, or a cheap stored form (SHA-2, plain text) decides at
    /// once; a bcrypt user's uncached password does not.
    public func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        switch self.lookup(request, probingCache: true) {
        case .decided(let result): result
        case .bcrypt: nil
        }
    }

    public func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        switch self.lookup(request, probingCache: false) {
        case .decided(let result):
            return result
        case .bcrypt(let credentials, let user, let key):
            return await self.verifyExpensive(credentials, user: user, key: key)
        }
    }

    private enum Lookup {
        case decided(AuthenticationResult)
        case bcrypt(BasicCredentials, User, CacheKey)
    }

    private func lookup(_ request: AuthRequest, probingCache: Bool) -> Lookup {
        guard case .basic(let credentials) = request.credential else {
            return .decided(.unauthenticated(AuthFailure(.missingCredentials, "no Basic credentials")))
        }
        let key = self.keys.key(for: credentials.decoded)
        if probingCache, let principal = self.cache.value(for: key) {
            return .decided(.authenticated(principal))
        }
        guard let user = self.users[credentials.username] else {
            if let placeholder = self.placeholder {
                return .bcrypt(credentials, placeholder, key)
            }
            return .decided(.unauthenticated(AuthFailure(.unknownUser, "user is not in the file user store")))
        }
        if !PasswordVerifier.isExpensive(user.password) {
            return .decided(self.finish(PasswordVerifier.verify(credentials.passwordBytes, against: user.password), user: user, key: key))
        }
        return .bcrypt(credentials, user, key)
    }

    private func verifyExpensive(_ credentials: BasicCredentials, user: User, key: CacheKey) async -> AuthenticationResult {
        await self.inFlight.run(key) { [pool] in
            // A miss that reached here after another flight for the same credential ended finds
            // its result cached: no second bcrypt run.
            if let principal = self.cache.peek(key) {
                return .authenticated(principal)
            }
            let matched = await pool.run { PasswordVerifier.verify(credentials.passwordBytes, against: user.password) }
            guard let matched else {
                return .unavailable(AuthFailure(.overloaded, "password verification queue is full"))
            }
            return self.finish(matched, user: user, key: key)
        }
    }

    private func finish(_ matched: Bool, user: User, key: CacheKey) -> AuthenticationResult {
        guard !user.isPlaceholder else {
            return .unauthenticated(AuthFailure(.unknownUser, "user is not in the file user store"))
        }
        guard matched else {
            return .unauthenticated(AuthFailure(.wrongPassword, "password does not match for user \"\(user.name)\""))
        }
        let now = NIODeadline.now()
        self.cache.insert(user.principal, for: key, expiresAt: now + self.timeToLive, now: now)
        return .authenticated(user.principal)
    }

    /// A placeholder user whose bcrypt hash has the median cost of `passwords`' bcrypt hashes (no
    /// password matches it: its salt and digest are random), or `nil` without bcrypt users.
    private static func placeholder(for passwords: [StoredPassword]) -> User? {
        let costs = passwords.compactMap { password -> Int? in
            guard case .bcrypt(let hash) = password else { return nil }
            return Int(hash.dropFirst(4).prefix(2))
        }.sorted()
        guard !costs.isEmpty else { return nil }
        let cost = costs[costs.count / 2]
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let tail = String((0..<53).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
        let hash = "$2b$" + (cost < 10 ? "0\(cost)" : "\(cost)") + "$" + tail
        return User(
            name: "",
            password: .bcrypt(hash),
            principal: Principal(subject: "", scopes: [], method: .basicFile),
            isPlaceholder: true
        )
    }

    /// Verified credentials currently cached.
    public var cachedCredentialCount: Int { self.cache.entryCount }
}
