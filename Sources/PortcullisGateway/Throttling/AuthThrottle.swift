import Crypto
import Logging
import NIOCore
import NIOHTTP1
import PortcullisConfig
import PortcullisMetrics
import PortcullisRedis

/// Failed-auth throttling for the services one `[throttling]` table covers (the global one, or a
/// service's own).
///
/// Checked before a request's credentials are looked at, so a refused attempt costs no bcrypt
/// run, no directory bind and no introspection call:
/// - `perAddress`: every attempt on a protected route, per client address;
/// - `failuresPerAddress`: failed attempts, per client address;
/// - `failuresPerUser`: failed attempts per Basic user name, keyed by a keyed hash of the
///   lowercased name, whether the user exists or not (so the limit tells nothing about which
///   names exist). A success clears it; an address the user recently succeeded from is not held
///   to it (only to the per-address limits), so an attacker cannot lock a real user out, and no
///   limit locks anyone out for longer than it takes to refill.
///
/// With `[throttling.redis]`, the limits are shared with every gateway using that server
/// (``RedisThrottleStore``): Redis decides, and the local tables, kept up to date alike, decide
/// whenever it cannot answer in time (fail open to local limits, as Envoy, Kong and Traefik do;
/// counted in `portcullis_throttle_store_errors_total`).
final class AuthThrottle: Sendable {
    /// Which limit refused an attempt: the `limiter` label.
    enum Limiter: String, Sendable {
        case perAddress = "per_address"
        case failuresPerAddress = "failures_per_address"
        case failuresPerUser = "failures_per_user"
    }

    /// The longest `retry-after` sent.
    static let maximumRetryAfterSeconds = 3600
    /// Keys tracked per limiter table, at most.
    static let capacity = 100_000
    /// How long a success from an address exempts the user there from the per-user limit.
    static let recentSuccessWindow: TimeAmount = .hours(24)

    let config: ThrottlingConfig
    private let perAddress: GCRATable<String>?
    private let failuresPerAddress: GCRATable<String>?
    private let failuresPerUser: GCRATable<UInt64>?
    /// (user hash, address) pairs that authenticated, until when.
    private let recentSuccesses: GCRATable<RecentSuccess>?
    private let key: SymmetricKey
    /// The shared store, when `[throttling.redis]` is set.
    let store: RedisThrottleStore?
    private let metrics: PortcullisMetrics
    private let logger: Logger

    private struct RecentSuccess: Hashable, Sendable {
        var user: UInt64
        var address: String
    }

    /// - Parameter scope: what the shared store's keys of this table are named after
    ///   (`global`, or `service:<name>` for a service's own table).
    init(config: ThrottlingConfig, scope: String = "global", metrics: PortcullisMetrics, logger: Logger) {
        self.config = config
        self.metrics = metrics
        self.logger = logger
        self.perAddress = config.perAddress.map {
            GCRATable(interval: .nanoseconds(Int64(1e9 / $0.rate)), burst: $0.burst, capacity: Self.capacity)
        }
        self.failuresPerAddress = config.failuresPerAddress.map {
            GCRATable(interval: .nanoseconds(Int64($0.refillSeconds * 1e9)), burst: $0.burst, capacity: Self.capacity)
        }
        self.failuresPerUser = config.failuresPerUser.map {
            GCRATable(interval: .nanoseconds(Int64($0.refillSeconds * 1e9)), burst: $0.burst, capacity: Self.capacity)
        }
        // A TAT one window ahead marks a success; it lapses by itself.
        self.recentSuccesses = config.failuresPerUser == nil ? nil : GCRATable(interval: Self.recentSuccessWindow, burst: 1, capacity: Self.capacity)
        self.key = config.hashKey.map { SymmetricKey(data: Array($0.utf8)) } ?? SymmetricKey(size: .bits256)
        func limit<Key>(_ table: GCRATable<Key>?) -> RedisThrottleStore.Limit {
            table.map { .init(interval: max(1, $0.interval / 1000), tolerance: $0.tolerance / 1000) } ?? .off
        }
        let (perAddress, failuresPerAddress, failuresPerUser) = (limit(self.perAddress), limit(self.failuresPerAddress), limit(self.failuresPerUser))
        self.store = config.redis.map {
            RedisThrottleStore(
                config: $0,
                scope: scope,
                perAddress: perAddress,
                failuresPerAddress: failuresPerAddress,
                failuresPerUser: failuresPerUser,
                recentSuccessWindow: Self.recentSuccessWindow
            )
        }
        if self.store != nil {
            metrics.recordThrottleStoreErrors(0)
        }
    }

    /// What one request's attempt is throttled by.
    struct Attempt: Sendable {
        let address: String
        /// The keyed hash of the Basic user name, when one was presented.
        let user: UInt64?
        /// Whether credentials were presented at all (a request without any is not a failure).
        let presentedCredentials: Bool
    }

    /// The attempt a request makes.
    func attempt(peer: String?, headers: HTTPHeaders, basicUser: String?, presentedCredentials: Bool) -> Attempt {
        Attempt(
            address: ClientAddress.resolve(peer: peer, headers: headers, trusted: self.config.trustedProxies),
            user: basicUser.flatMap { self.failuresPerUser == nil ? nil : self.userKey($0) },
            presentedCredentials: presentedCredentials
        )
    }

    /// `nil` when the attempt may go on, else the limit it is over and the seconds to wait. In
    /// shadow mode the refusal is counted and logged, and `nil` returned.
    func admit(_ attempt: Attempt, service: String, now: NIODeadline = .now()) -> (limiter: Limiter, retryAfter: Int)? {
        self.conclude(self.localVerdict(attempt, now: now), attempt, service: service)
    }

    /// ``admit(_:service:now:)`` through the shared store: Redis decides, or, when it does not
    /// answer in time, the local limits (updated either way, so they are warm when needed).
    /// Never fails.
    func admit(_ attempt: Attempt, service: String, through client: RedisClient) -> EventLoopFuture<(limiter: Limiter, retryAfter: Int)?> {
        let local = self.localVerdict(attempt, now: .now())
        guard let store = self.store else {
            return client.eventLoop.makeSucceededFuture(self.conclude(local, attempt, service: service))
        }
        return store.admit(address: attempt.address, user: attempt.user, on: client).map { verdict in
            switch verdict {
            case .admitted: return nil
            case .refused(let limiter, let wait): return (limiter, wait)
            }
        }.recover { error in
            self.storeFailed(error)
            return local
        }.map { verdict in
            self.conclude(verdict, attempt, service: service)
        }
    }

    /// What the local tables say: the per-address limit takes one, the failure limits are looked at.
    private func localVerdict(_ attempt: Attempt, now: NIODeadline) -> (Limiter, TimeAmount)? {
        if let wait = self.perAddress?.take(attempt.address, now: now) {
            return (.perAddress, wait)
        } else if let wait = self.failuresPerAddress?.wait(attempt.address, now: now) {
            return (.failuresPerAddress, wait)
        } else if let user = attempt.user, let table = self.failuresPerUser, !self.recentlySucceeded(user, attempt.address, now: now),
            let wait = table.wait(user, now: now)
        {
            return (.failuresPerUser, wait)
        }
        return nil
    }

    /// Counts and logs a refusal, and returns it unless in shadow mode.
    private func conclude(_ verdict: (Limiter, TimeAmount)?, _ attempt: Attempt, service: String) -> (limiter: Limiter, retryAfter: Int)? {
        guard let (limiter, wait) = verdict else { return nil }
        let seconds = min(Self.maximumRetryAfterSeconds, max(1, Int((wait.nanoseconds + 999_999_999) / 1_000_000_000)))
        self.metrics.recordThrottled(service: service, limiter: limiter.rawValue)
        // OWASP logging vocabulary: a limit on attempts, or the most failures allowed.
        self.logger.notice(
            limiter == .perAddress ? "excess_rate_limit_exceeded" : "authn_login_fail_max",
            metadata: [
                "service": "\(service)", "limiter": "\(limiter.rawValue)", "client": "\(attempt.address)",
                "retry_after": "\(seconds)", "shadow": "\(self.config.shadow)",
            ]
        )
        return self.config.shadow ? nil : (limiter, seconds)
    }

    private func storeFailed(_ error: any Error) {
        self.metrics.recordThrottleStoreErrors()
        if self.logger.logLevel <= .debug {
            self.logger.debug("throttling store did not answer; the local limits decide", metadata: ["error": "\(error)"])
        }
    }

    /// The attempt failed: its credentials were refused. With a `client`, the shared store is
    /// charged too (not waited for).
    func failed(_ attempt: Attempt, client: RedisClient? = nil, now: NIODeadline = .now()) {
        guard attempt.presentedCredentials else { return }
        if let client, let store = self.store {
            store.failed(address: attempt.address, user: attempt.user, on: client).whenFailure(self.storeFailed)
        }
        self.failuresPerAddress?.charge(attempt.address, now: now)
        if let user = attempt.user {
            self.failuresPerUser?.charge(user, now: now)
        }
        if self.logger.logLevel <= .debug {
            self.logger.debug("authn_login_fail", metadata: ["client": "\(attempt.address)"])
        }
    }

    /// The attempt's credentials were accepted: the user's failures are forgiven, and this
    /// address is one the user succeeds from (in the shared store too, with a `client`).
    func succeeded(_ attempt: Attempt, client: RedisClient? = nil, now: NIODeadline = .now()) {
        guard let user = attempt.user else { return }
        if let client, let store = self.store {
            store.succeeded(address: attempt.address, user: user, on: client).whenFailure(self.storeFailed)
        }
        self.failuresPerUser?.reset(user)
        let pair = RecentSuccess(user: user, address: attempt.address)
        self.recentSuccesses?.reset(pair)
        _ = self.recentSuccesses?.take(pair, now: now)
    }

    /// The answer to a refused attempt.
    func refusal(retryAfter seconds: Int) -> FixedAnswer {
        FixedAnswer(status: HTTPResponseStatus(statusCode: self.config.status), headers: [("retry-after", String(seconds))])
    }

    private func recentlySucceeded(_ user: UInt64, _ address: String, now: NIODeadline) -> Bool {
        // The pair's TAT is one window after its last success: ahead of now while it is recent.
        self.recentSuccesses?.wait(RecentSuccess(user: user, address: address), now: now) != nil
    }

    /// The first 8 bytes of HMAC-SHA256(lowercased name).
    private func userKey(_ name: String) -> UInt64 {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(name.lowercased().utf8), using: self.key)
        return mac.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
