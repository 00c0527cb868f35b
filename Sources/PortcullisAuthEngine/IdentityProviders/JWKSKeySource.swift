import AsyncHTTPClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics

/// Keys from a JWKS endpoint, fetched by an actor that publishes immutable snapshots.
///
/// - Requests read the latest snapshot under one uncontended lock (``currentKeys``); they never
///   wait for a fetch unless their token names a key the snapshot lacks.
/// - ``run()`` refreshes on `defaultMaxAge`, and retries sooner (5 s, doubling to a minute) after
///   a failure. A failed fetch keeps the last good keys serving (stale-if-error).
/// - An unknown `kid` triggers one fetch, shared by every request waiting for it, and at most one
///   such fetch per ``missRefetchInterval``; a `kid` still unknown after a fetch is remembered for
///   that long, so random `kid`s cannot make the gateway hammer the identity provider.
/// - A token whose key is unknown while the endpoint cannot be reached gets `unavailable` (503).
public final class JWKSKeySource: JWTKeySource {
    /// The shortest time between two fetches caused by unknown `kid`s.
    public static let missRefetchInterval: Duration = .seconds(10)

    private let snapshot: NIOLockedValueBox<JWTKeySet>
    /// Where the key set comes from (the configured `jwksConfig.url`), for readiness reports.
    public let url: String
    private let refresher: JWKSRefresher
    private let refreshInterval: Duration

    /// - Parameters:
    ///   - config: the endpoint and its cache settings.
    ///   - client: the HTTP client to fetch with (its TLS settings are the `clientConfig`'s).
    ///   - metrics: where `kind="jwks"` calls are counted.
    ///   - credential: the gateway's token for the fetch when `clientConfig.auth` is an OAuth2
    ///     grant; Basic (RFC 7617) and bearer credentials are taken from `config`.
    public init(
        config: JWKSConfig,
        client: HTTPClient,
        metrics: PortcullisMetrics?,
        logger: Logger,
        credential: (any OutboundCredential)? = nil
    ) {
        let snapshot = NIOLockedValueBox(JWTKeySet.empty)
        self.snapshot = snapshot
        self.url = config.url
        self.refreshInterval = .milliseconds(Int64(config.refreshIntervalSeconds * 1000))
        self.refresher = JWKSRefresher(
            config: config,
            client: client,
            metrics: IdentityProviderMetrics(kind: "jwks", metrics: metrics),
            logger: logger,
            credential: credential ?? IdentityProviderCredential.fixed(config.client.auth, formEncodedBasic: false),
            publish: { keys in snapshot.withLockedValue { $0 = keys } }
        )
    }

    public var currentKeys: JWTKeySet {
        self.snapshot.withLockedValue { $0 }
    }

    public func keysAfterMiss(keyID: String?) async -> JWTKeyLookup {
        await self.refresher.lookupAfterMiss(keyID: keyID, current: { self.currentKeys })
    }

    /// Fetches once; `true` when keys were published.
    @discardableResult
    public func refresh() async -> Bool {
        await self.refresher.refresh()
    }

    /// Refreshes until the task is cancelled: every `defaultMaxAge`, sooner after a failure.
    public func run() async {
        var retryDelay: Duration = .seconds(5)
        var succeeded = await self.refresher.lastFetchSucceeded
        while !Task.isCancelled {
            let delay = succeeded ? self.refreshInterval : min(retryDelay, self.refreshInterval)
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            succeeded = await self.refresh()
            retryDelay = succeeded ? .seconds(5) : min(retryDelay * 2, .seconds(60))
        }
    }
}

/// Owns fetching for one ``JWKSKeySource``: single-flight, rate-limited, with negative caching.
actor JWKSRefresher {
    private let config: JWKSConfig
    private let client: HTTPClient
    /// The gateway's credentials for the fetch (`clientConfig.auth`).
    private let credential: (any OutboundCredential)?
    private let metrics: IdentityProviderMetrics
    private let logger: Logger
    private let publish: @Sendable (JWTKeySet) -> Void

    private var inFlight: Task<Bool, Never>?
    private var lastMissFetch: ContinuousClock.Instant?
    /// `kid`s a successful fetch did not have, until when they are not fetched for again.
    private var unknownKeyIDs: [String: ContinuousClock.Instant] = [:]
    private(set) var lastFetchSucceeded = false
    private var lastFailure = "the key set has not been fetched yet"

    private static let maximumRememberedUnknown = 1024

    init(
        config: JWKSConfig,
        client: HTTPClient,
        metrics: IdentityProviderMetrics,
        logger: Logger,
        credential: (any OutboundCredential)?,
        publish: @escaping @Sendable (JWTKeySet) -> Void
    ) {
        self.credential = credential
        self.config = config
        self.client = client
        self.metrics = metrics
        self.logger = logger
        self.publish = publish
    }

    /// Fetches now, or joins the fetch under way.
    func refresh() async -> Bool {
        if let inFlight {
            return await inFlight.value
        }
        let task = Task { await self.fetch() }
        self.inFlight = task
        let result = await task.value
        self.inFlight = nil
        return result
    }

    func lookupAfterMiss(keyID: String?, current: @Sendable () -> JWTKeySet) async -> JWTKeyLookup {
        let now = ContinuousClock.now
        if current().key(for: keyID) == nil {
            let remembered = keyID.flatMap { self.unknownKeyIDs[$0] }.map { $0 > now } ?? false
            let rateLimited = self.lastMissFetch.map { now - $0 < JWKSKeySource.missRefetchInterval } ?? false
            if self.inFlight != nil {
                _ = await self.refresh()
            } else if !remembered && !rateLimited {
                self.lastMissFetch = now
                _ = await self.refresh()
            }
        }
        let keys = current()
        if keys.key(for: keyID) != nil {
            return .keys(keys)
        }
        guard self.lastFetchSucceeded else {
            return .unavailable("JWKS endpoint unavailable and no known key for this token: \(self.lastFailure)")
        }
        if let keyID {
            if self.unknownKeyIDs.count >= Self.maximumRememberedUnknown {
                self.unknownKeyIDs.removeAll(keepingCapacity: true)
            }
            self.unknownKeyIDs[keyID] = ContinuousClock.now + JWKSKeySource.missRefetchInterval
        }
        return .keys(keys)
    }

    private func fetch() async -> Bool {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: self.config.url)
        request.headers.add(name: "accept", value: "application/json, application/jwk-set+json")
        for (name, value) in self.config.client.customHeaders {
            request.headers.add(name: name, value: value)
        }
        var authorization: String?
        if let credential = self.credential {
            do throws(ClientAuthError) {
                authorization = try await credential.authorization()
            } catch {
                return self.failed(.unreachable, "no credentials for GET \(self.config.url): \(error)", since: started)
            }
            request.headers.replaceOrAdd(name: "authorization", value: authorization ?? "")
        }
        let outcome: IdentityProviderMetrics.Outcome
        do {
            let response = try await self.client.execute(
                request,
                timeout: .milliseconds(Int64(self.config.client.requestTimeoutSeconds * 1000)),
                logger: nil
            )
            guard response.status == .ok else {
                _ = try? await response.body.collect(upTo: 1024)
                if response.status == .unauthorized, let credential = self.credential, let authorization {
                    // Revoked or expired early: the next fetch gets a new token.
                    await credential.rejected(authorization)
                }
                return self.failed(.error, "GET \(self.config.url) answered \(response.status.code)", since: started)
            }
            let body = try await response.body.collect(upTo: JWKSDocument.maximumBodySize)
            let (keys, skipped) = try await JWKSDocument.keys(from: Array(buffer: body), capacity: self.config.capacity)
            for reason in skipped {
                self.logger.warning("JWKS key skipped", metadata: ["url": "\(self.config.url)", "reason": "\(reason)"])
            }
            guard !keys.isEmpty else {
                return self.failed(.error, "\(self.config.url) published no usable signing key", since: started)
            }
            self.publish(JWTKeySet(keys: keys))
            self.unknownKeyIDs.removeAll()
            self.lastFetchSucceeded = true
            outcome = .success
            self.logger.info("JWKS keys published", metadata: ["url": "\(self.config.url)", "keys": "\(keys.count)"])
        } catch let failure as JWKSDocument.Failure {
            return self.failed(.error, "\(self.config.url): \(failure.reason)", since: started)
        } catch {
            return self.failed(.unreachable, "GET \(self.config.url) failed: \(error)", since: started)
        }
        self.metrics.record(outcome, duration: ContinuousClock.now - started)
        return true
    }

    private func failed(_ outcome: IdentityProviderMetrics.Outcome, _ reason: String, since started: ContinuousClock.Instant) -> Bool {
        self.metrics.record(outcome, duration: ContinuousClock.now - started)
        self.lastFetchSucceeded = false
        self.lastFailure = reason
        self.logger.warning("JWKS fetch failed; the last good keys keep serving", metadata: ["reason": "\(reason)"])
        return false
    }
}
