import Crypto
import NIOCore
import PortcullisConfig
import PortcullisRedis

/// The limits of one `[throttling]` table kept in Redis, so that every gateway using the same
/// server and table counts the same attempts.
///
/// Each step is one script run (`EVALSHA`, `EVAL` when the server lost the script): a GCRA step
/// on the server's clock (`TIME`), atomic, whatever the number of gateways. Times are in
/// microseconds; every key expires when its limit has refilled, so Redis holds only what still
/// limits someone. Keys are `<keyPrefix><scope>:<kind>:<id>`: `a` every attempt per address,
/// `fa` failures per address, `fu` failures per user (the keyed hash, in hex), `rs` a recent
/// success of a user from an address.
///
/// The keys of one step are not in one hash slot: a standalone server (or a primary with
/// replicas), not Redis Cluster.
struct RedisThrottleStore: Sendable {
    /// What the limiter tables look like, in microseconds: `interval == 0` for a limiter that is off.
    struct Limit: Sendable {
        var interval: Int64
        var tolerance: Int64

        static let off = Limit(interval: 0, tolerance: 0)
    }

    /// What the server decided about an attempt.
    enum Verdict: Equatable, Sendable {
        case admitted
        case refused(AuthThrottle.Limiter, wait: TimeAmount)
    }

    /// A reply that is not what the script returns.
    struct UnexpectedReply: Error, CustomStringConvertible {
        let reply: RESPValue
        var description: String {
            if case .error(let message) = self.reply { return "Redis replied with an error: \(message)" }
            return "Redis replied with something the throttling script does not return"
        }
    }

    let client: RedisClientConfiguration
    private let prefix: String
    private let perAddress: Limit
    private let failuresPerAddress: Limit
    private let failuresPerUser: Limit
    private let recentSuccessWindow: Int64

    init(config: ThrottlingConfig.Redis, scope: String, perAddress: Limit, failuresPerAddress: Limit, failuresPerUser: Limit, recentSuccessWindow: TimeAmount) {
        self.client = RedisClientConfiguration(
            host: config.host,
            port: config.port,
            username: config.username,
            password: config.password,
            database: config.database,
            commandTimeout: .milliseconds(Int64(config.timeoutMilliseconds))
        )
        self.prefix = config.keyPrefix + scope + ":"
        self.perAddress = perAddress
        self.failuresPerAddress = failuresPerAddress
        self.failuresPerUser = failuresPerUser
        self.recentSuccessWindow = recentSuccessWindow.nanoseconds / 1000
    }

    /// Checks an attempt: takes one from the per-address limit, and looks at the failure limits
    /// (the per-user one unless the user recently succeeded from this address).
    func admit(address: String, user: UInt64?, on client: RedisClient) -> EventLoopFuture<Verdict> {
        let perUser = user == nil ? Limit.off : self.failuresPerUser
        let keys = [
            self.key("a", address), self.key("fa", address),
            self.key("fu", user.map(Self.hex) ?? "-"), self.key("rs", (user.map(Self.hex) ?? "-") + ":" + address),
        ]
        let arguments = ["admit"] + [self.perAddress, self.failuresPerAddress, perUser].flatMap { [String($0.interval), String($0.tolerance)] }
        return self.run(keys: keys, arguments: arguments, on: client).flatMapThrowing { reply in
            guard case .array(let pair?) = reply, pair.count == 2, let limiter = pair[0].integer, let wait = pair[1].integer, wait >= 0 else {
                throw UnexpectedReply(reply: reply)
            }
            switch limiter {
            case 0: return .admitted
            case 1: return .refused(.perAddress, wait: .microseconds(wait))
            case 2: return .refused(.failuresPerAddress, wait: .microseconds(wait))
            case 3: return .refused(.failuresPerUser, wait: .microseconds(wait))
            default: throw UnexpectedReply(reply: reply)
            }
        }
    }

    /// Charges a failure to the address and the user.
    func failed(address: String, user: UInt64?, on client: RedisClient) -> EventLoopFuture<Void> {
        let perUser = user == nil ? Limit.off : self.failuresPerUser
        let keys = [self.key("fa", address), self.key("fu", user.map(Self.hex) ?? "-")]
        let arguments = ["fail"] + [self.failuresPerAddress, perUser].flatMap { [String($0.interval), String($0.tolerance)] }
        return self.run(keys: keys, arguments: arguments, on: client).map { _ in }
    }

    /// Forgives the user's failures and remembers the address they succeeded from.
    func succeeded(address: String, user: UInt64, on client: RedisClient) -> EventLoopFuture<Void> {
        let keys = [self.key("fu", Self.hex(user)), self.key("rs", Self.hex(user) + ":" + address)]
        return self.run(keys: keys, arguments: ["succeed", String(self.recentSuccessWindow)], on: client).map { _ in }
    }

    private func run(keys: [String], arguments: [String], on client: RedisClient) -> EventLoopFuture<RESPValue> {
        let tail = [String(keys.count)] + keys + arguments
        return client.send(RESPCommand(strings: ["EVALSHA", Self.scriptSHA1] + tail)).flatMap { reply in
            // A server restarted or flushed forgets its scripts: send it whole, once.
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                return client.send(RESPCommand(strings: ["EVAL", Self.script] + tail))
            }
            return client.eventLoop.makeSucceededFuture(reply)
        }.flatMapThrowing { reply in
            if case .error = reply { throw UnexpectedReply(reply: reply) }
            return reply
        }
    }

    private func key(_ kind: String, _ id: String) -> String {
        self.prefix + kind + ":" + id
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static let scriptSHA1: String = Insecure.SHA1.hash(data: Array(RedisThrottleStore.script.utf8)).map {
        let digits = String($0, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()

    /// One GCRA step per limiter (see ``GCRATable``), in microseconds on the server's clock.
    /// A TAT is stored as a decimal integer with an expiry at the moment its limit has refilled.
    static let script = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local function tat(key)
          return tonumber(redis.call('GET', key) or '0') or 0
        end
        local function store(key, value)
          local ttl = math.ceil((value - now) / 1000) + 1
          redis.call('SET', key, string.format('%.0f', value), 'PX', string.format('%.0f', ttl))
        end
        local function delay(key, tolerance)
          local ahead = math.max(tat(key), now) - now
          if ahead <= tolerance then return 0 end
          return ahead - tolerance
        end
        local op = ARGV[1]
        if op == 'admit' then
          local interval, tolerance = tonumber(ARGV[2]), tonumber(ARGV[3])
          if interval > 0 then
            local current = math.max(tat(KEYS[1]), now)
            if current - now > tolerance then return {1, current - now - tolerance} end
            store(KEYS[1], current + interval)
          end
          if tonumber(ARGV[4]) > 0 then
            local wait = delay(KEYS[2], tonumber(ARGV[5]))
            if wait > 0 then return {2, wait} end
          end
          if tonumber(ARGV[6]) > 0 and redis.call('EXISTS', KEYS[4]) == 0 then
            local wait = delay(KEYS[3], tonumber(ARGV[7]))
            if wait > 0 then return {3, wait} end
          end
          return {0, 0}
        elseif op == 'fail' then
          for index = 1, 2 do
            local interval, tolerance = tonumber(ARGV[index * 2]), tonumber(ARGV[index * 2 + 1])
            if interval > 0 then
              local next = math.min(math.max(tat(KEYS[index]), now) + interval, now + tolerance + interval)
              store(KEYS[index], next)
            end
          end
          return 0
        elseif op == 'succeed' then
          redis.call('DEL', KEYS[1])
          redis.call('SET', KEYS[2], '1', 'PX', string.format('%.0f', math.ceil(tonumber(ARGV[2]) / 1000)))
          return 0
        end
        return redis.error_reply('unknown operation')
        """
}
