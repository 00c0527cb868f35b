import AsyncHTTPClient
import Logging
import PortcullisConfig
import PortcullisMetrics
import Synchronization

/// An OAuth2 access token for outgoing requests, obtained with one of the client grants and
/// renewed by itself (Ballerina's OAuth2 client provider, without its races).
///
/// - The token is kept until `expires_in − clockSkew` (`defaultTokenExpTime` without `expires_in`)
///   and read from memory under a lock: no actor hop, no allocation on the way.
/// - Shortly before that (the last tenth of its life, at most a minute) the first caller to notice
///   starts a renewal in the background and every caller keeps the current token meanwhile.
/// - Without a valid token every caller, the very first included, waits for one shared token
///   request (``TokenRefresher``, an actor): one request per expiry however many callers.
/// - The password grant renews with its refresh token, and with the password again when the
///   server refuses that; the refresh-token grant renews with the newest refresh token it was given.
/// - A failed request is not repeated by every caller: the next one is allowed after a backoff
///   (1 s, doubling up to 30 s), and callers meanwhile fail at once. Nothing is fetched before the
///   first request, so an authorization server that is down never stops the process.
public final class OAuth2TokenManager: OutboundCredential, CustomStringConvertible {
    let cache: TokenCache
    let refresher: TokenRefresher
    private let background = Mutex<Task<Void, Never>?>(nil)
    public let description: String

    /// - Parameters:
    ///   - config: the grant and its endpoints.
    ///   - client: calls the token endpoints (with the config's TLS settings).
    ///   - metrics: `kind="token"` requests and durations.
    ///   - onRenewal: told the outcome of every token request (`portcullis_token_refreshes_total`).
    ///   - logger: failed token requests are logged here, without secrets.
    ///   - now: seconds on a monotonic clock (tests move it).
    public init(
        config: OAuth2GrantConfig,
        client: HTTPClient,
        metrics: PortcullisMetrics? = nil,
        onRenewal: @escaping @Sendable (Bool) -> Void = { _ in },
        logger: Logger = Logger(label: "portcullis.token"),
        now: @escaping @Sendable () -> Double = TokenCache.monotonicSeconds
    ) {
        let cache = TokenCache(now: now)
        self.cache = cache
        self.refresher = TokenRefresher(config: config, client: client, cache: cache, metrics: metrics, onRenewal: onRenewal, logger: logger)
        self.description = "OAuth2 \(config.grant) grant at \(config.endpoint.url)"
    }

    public func authorization() async throws(ClientAuthError) -> String {
        switch self.lookupStartingRenewal() {
        case .valid(let header), .renewSoon(let header):
            return header
        case .backingOff(let error, let seconds):
            throw .backingOff(last: error.description, retryInSeconds: seconds)
        case .missing:
            return try await self.refresher.token().get()
        }
    }

    public func immediateAuthorization() -> String? {
        switch self.lookupStartingRenewal() {
        case .valid(let header), .renewSoon(let header): header
        case .backingOff, .missing: nil
        }
    }

    /// The cached token; when it is close to expiry, a background renewal is started first.
    private func lookupStartingRenewal() -> TokenCache.Lookup {
        let lookup = self.cache.lookup()
        if case .renewSoon = lookup {
            let renewal = Task { await self.refresher.renewInBackground() }
            self.background.withLock { $0 = renewal }
        }
        return lookup
    }

    public func rejected(_ authorization: String) async {
        self.cache.drop(authorization)
    }

    public var renewsOnRejection: Bool { true }

    /// Stores `accessToken` as if a token endpoint had just issued it (benchmarks measure the
    /// cached path without a server).
    @_spi(Benchmarks) public func prime(accessToken: String, lifetime: Double) {
        _ = self.cache.store(accessToken: accessToken, lifetime: lifetime, clockSkew: 0)
    }

    /// Waits for the last background renewal started, if any (for tests).
    package func renewalFinished() async {
        await self.background.withLock { $0 }?.value
    }
}

/// The current token and the last failure, behind one lock, read by every request.
public final class TokenCache: Sendable {
    enum Lookup {
        case valid(String)
        case renewSoon(String)
        case backingOff(ClientAuthError, seconds: Double)
        case missing
    }

    struct Current {
        var header: String
        var expiresAt: Double
        var renewAt: Double
    }

    struct State {
        var current: Current?
        var failure: (error: ClientAuthError, until: Double)?
        var backoff: Double = TokenCache.initialBackoff
        var lastDrop: Double = -.infinity
    }

    static let initialBackoff: Double = 1
    static let maximumBackoff: Double = 30

    private let state = Mutex(State())
    let now: @Sendable () -> Double

    init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }

    private static let start = ContinuousClock.now
    /// Seconds since the process started, on the monotonic clock.
    public static let monotonicSeconds: @Sendable () -> Double = {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func lookup() -> Lookup {
        let now = self.now()
        return self.state.withLock { state in
            if let current = state.current, now < current.expiresAt {
                if now >= current.renewAt {
                    // One caller starts the renewal; the others see the later renewAt.
                    state.current?.renewAt = current.expiresAt
                    return .renewSoon(current.header)
                }
                return .valid(current.header)
            }
            if let failure = state.failure, now < failure.until {
                return .backingOff(failure.error, seconds: failure.until - now)
            }
            return .missing
        }
    }

    /// The current token, when it is still valid.
    func valid() -> String? {
        let now = self.now()
        return self.state.withLock { state in
            guard let current = state.current, now < current.expiresAt else { return nil }
            return current.header
        }
    }

    func store(accessToken: String, lifetime: Double, clockSkew: Double) -> String {
        let now = self.now()
        let header = "Bearer " + accessToken
        let usable = max(lifetime - clockSkew, 0)
        let ahead = RenewalMargin.seconds(forLifetime: usable)
        self.state.withLock { state in
            state.current = Current(header: header, expiresAt: now + usable, renewAt: now + usable - ahead)
            state.failure = nil
            state.backoff = Self.initialBackoff
        }
        return header
    }

    /// A request failed: with a token still valid, its renewal is tried again after the backoff;
    /// without one, callers fail at once until then.
    func failed(_ error: ClientAuthError) {
        let now = self.now()
        self.state.withLock { state in
            if let current = state.current, now < current.expiresAt {
                state.current?.renewAt = min(now + state.backoff, current.expiresAt)
            } else {
                state.current = nil
                state.failure = (error, now + state.backoff)
            }
            state.backoff = min(state.backoff * 2, Self.maximumBackoff)
        }
    }

    /// Forgets `header` if it is still the current token: at most once per
    /// ``initialBackoff``, so an upstream that answers `401` to everything cannot turn each request
    /// into a token request.
    func drop(_ header: String) {
        let now = self.now()
        self.state.withLock { state in
            guard state.current?.header == header, now - state.lastDrop >= Self.initialBackoff else { return }
            state.current = nil
            state.lastDrop = now
        }
    }
}

/// Owns the token requests of one grant: at most one in flight, shared by every caller.
actor TokenRefresher {
    private let config: OAuth2GrantConfig
    private let endpoint: TokenEndpoint
    private let refreshEndpoint: TokenEndpoint
    private let cache: TokenCache
    private let onRenewal: @Sendable (Bool) -> Void
    private let logger: Logger
    private var refreshToken: String?
    private var inFlight: Task<Result<String, ClientAuthError>, Never>?

    init(
        config: OAuth2GrantConfig,
        client: HTTPClient,
        cache: TokenCache,
        metrics: PortcullisMetrics?,
        onRenewal: @escaping @Sendable (Bool) -> Void,
        logger: Logger
    ) {
        self.config = config
        self.endpoint = TokenEndpoint(config: config.endpoint, client: client, metrics: metrics)
        if let refresh = config.refresh {
            self.refreshEndpoint = TokenEndpoint(config: refresh, client: client, metrics: metrics)
        } else {
            // Renewing at the token endpoint without a scope keeps the granted one (RFC 6749 §6).
            var inferred = config.endpoint
            inferred.scopes = []
            self.refreshEndpoint = TokenEndpoint(config: inferred, client: client, metrics: metrics)
        }
        self.cache = cache
        self.onRenewal = onRenewal
        self.logger = logger
        if case .refreshToken(let token) = config.grant { self.refreshToken = token }
    }

    /// A valid token: the one a request that just finished got, the one in flight, or a new one.
    func token() async -> Result<String, ClientAuthError> {
        if let inFlight { return await inFlight.value }
        if let header = self.cache.valid() { return .success(header) }
        return await self.start().value
    }

    /// Starts a renewal unless one is running; callers keep the current token meanwhile.
    func renewInBackground() async {
        if self.inFlight == nil { _ = await self.start().value }
    }

    private func start() -> Task<Result<String, ClientAuthError>, Never> {
        // Its own task: a caller that goes away must not cancel the request others wait for.
        let task = Task { await self.obtain() }
        self.inFlight = task
        return task
    }

    private func obtain() async -> Result<String, ClientAuthError> {
        let result: Result<String, ClientAuthError>
        do throws(ClientAuthError) {
            let response = try await self.request()
            if let rotated = response.refreshToken { self.refreshToken = rotated }
            let lifetime = response.expiresIn ?? self.config.defaultTokenExpTimeSeconds
            result = .success(self.cache.store(accessToken: response.accessToken, lifetime: lifetime, clockSkew: self.config.clockSkewSeconds))
        } catch {
            self.logger.warning(
                "token request failed; upstream requests needing a token get 502 until one is obtained",
                metadata: ["endpoint": "\(self.endpoint.url)", "grant": "\(self.config.grant)", "reason": "\(error)"]
            )
            self.cache.failed(error)
            result = .failure(error)
        }
        self.onRenewal(result.isSuccess)
        self.inFlight = nil
        return result
    }

    private func request() async throws(ClientAuthError) -> TokenResponse {
        switch self.config.grant {
        case .clientCredentials:
            return try await self.endpoint.request([("grant_type", "client_credentials")])
        case .password(let username, let password):
            if let refreshToken = self.refreshToken {
                do throws(ClientAuthError) {
                            return try await self.refreshEndpoint.request([("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
                } catch .refused {
                    // The refresh token expired or was revoked: the password is still good.
                    self.refreshToken = nil
                }
            }
            return try await self.endpoint.request([("grant_type", "password"), ("username", username), ("password", password)])
        case .refreshToken(let configured):
            return try await self.endpoint.request([("grant_type", "refresh_token"), ("refresh_token", self.refreshToken ?? configured)])
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
