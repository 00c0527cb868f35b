/// `[throttling]` (and `[service.throttling]`, which replaces it for one service): limits on
/// authentication attempts and failures, checked before any costly work (bcrypt, an LDAP bind,
/// an introspection call). Every limiter left out is off.
public struct ThrottlingConfig: Sendable, Equatable {
    /// A generic cell rate limit: `burst` events at once, then `rate` per second.
    public struct Rate: Sendable, Equatable {
        public var rate: Double
        public var burst: Int

        public init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// A failure budget: `burst` failures answered normally, then one more every `refillSeconds`.
    public struct Failures: Sendable, Equatable {
        public var burst: Int
        public var refillSeconds: Double

        public init(burst: Int, refillSeconds: Double) {
            self.burst = burst
            self.refillSeconds = refillSeconds
        }
    }

    /// A Redis server the limits are kept in, shared by every gateway that uses it.
    public struct Redis: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        /// The ACL user of `AUTH`, when the URL names one.
        public var username: String?
        /// The password of `AUTH`, when the URL has one.
        public var password: String?
        public var database: Int
        /// How long a limit check waits for Redis before the local limits decide.
        public var timeoutMilliseconds: Int
        /// What every key the gateway writes starts with.
        public var keyPrefix: String

        public init(
            host: String,
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            timeoutMilliseconds: Int = 50,
            keyPrefix: String = "portcullis:throttle:"
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.timeoutMilliseconds = timeoutMilliseconds
            self.keyPrefix = keyPrefix
        }

        /// `redis://host:port/db`, never the credentials.
        public var description: String {
            let host = self.host.contains(":") ? "[\(self.host)]" : self.host
            return "redis://\(host):\(self.port)/\(self.database)"
        }
    }

    /// Every auth attempt, per client address.
    public var perAddress: Rate?
    /// Failed attempts, per client address.
    public var failuresPerAddress: Failures?
    /// Failed attempts, per user name (Basic), whether the name exists or not.
    public var failuresPerUser: Failures?
    /// Peers whose `X-Forwarded-For` is believed, as CIDR blocks.
    public var trustedProxies: [AddressBlock]
    /// The status a refused attempt gets (default 429, with `retry-after`).
    public var status: Int
    /// Only count and log what would be refused.
    public var shadow: Bool
    /// The key of the user-name hash; `nil`: a random key per process.
    public var hashKey: String?
    /// Where the limits are shared with other gateways; `nil`: each process keeps its own.
    public var redis: Redis?

    public init(
        perAddress: Rate? = nil,
        failuresPerAddress: Failures? = nil,
        failuresPerUser: Failures? = nil,
        trustedProxies: [AddressBlock] = [],
        status: Int = 429,
        shadow: Bool = false,
        hashKey: String? = nil,
        redis: Redis? = nil
    ) {
        self.perAddress = perAddress
        self.failuresPerAddress = failuresPerAddress
        self.failuresPerUser = failuresPerUser
        self.trustedProxies = trustedProxies
        self.status = status
        self.shadow = shadow
        self.hashKey = hashKey
        self.redis = redis
    }

    /// Whether any limiter is on.
    public var limits: Bool {
        self.perAddress != nil || self.failuresPerAddress != nil || self.failuresPerUser != nil
    }
}
