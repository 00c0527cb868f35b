import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PortcullisConfig
import PortcullisMetrics
import PortcullisRedis
import Testing

@testable import PortcullisGateway

#if canImport(Glibc)
import Glibc
import PortcullisTestSupport
#endif

/// The shared store of the throttling limits: its config, the Redis client, the GCRA script on a
/// real redis-server, gateways sharing it, and the local limits deciding when it is gone.
@Suite("Throttling store (Redis)")
struct ThrottlingStoreTests {
    static let loop = MultiThreadedEventLoopGroup.singleton.next()

    static func send(_ command: RESPCommand, _ client: RedisClient) async throws -> RESPValue {
        try await client.eventLoop.flatSubmit { client.send(command) }.get()
    }

    static func client(
        _ server: RedisServer,
        password: String? = nil,
        database: Int = 0,
        timeout: TimeAmount = .seconds(5),
        reconnectPause: ClosedRange<TimeAmount> = .milliseconds(200) ... .seconds(5)
    ) -> RedisClient {
        RedisClient(
            configuration: RedisClientConfiguration(
                host: "127.0.0.1", port: server.port, password: password, database: database, commandTimeout: timeout, reconnectPause: reconnectPause
            ),
            eventLoop: Self.loop,
            logger: GatewayHarness.quietLogger
        )
    }

    static func close(_ client: RedisClient) async throws {
        try await client.eventLoop.submit { client.close() }.get()
    }

    // MARK: Config

    @Test("[throttling.redis]: redis:// URLs with credentials, IPv6 and a database; errors name the key and never the URL's password")
    func config() throws {
        let service = "\n[[service]]\nbasePath = \"/\"\nupstream = \"http://127.0.0.1:1\"\n"
        func parse(_ url: String, extra: String = "") throws -> ThrottlingConfig.Redis? {
            try ConfigLoader.parse(
                "[throttling]\nfailuresPerUser = { burst = 5, refillSeconds = 60 }\nhashKey = \"0123456789abcdef\"\nredis = { url = \"\(url)\"\(extra) }\n" + service,
                file: "t.toml"
            ).throttling?.redis
        }
        #expect(try parse("redis://127.0.0.1") == .init(host: "127.0.0.1"))
        #expect(try parse("redis://:p%40ss@redis.internal:6380/2") == .init(host: "redis.internal", port: 6380, password: "p@ss", database: 2))
        #expect(try parse("redis://gateway:s3cret@[::1]:7000") == .init(host: "::1", port: 7000, username: "gateway", password: "s3cret"))
        #expect(try parse("redis://127.0.0.1", extra: ", timeoutMilliseconds = 20, keyPrefix = \"edge:\"") == .init(host: "127.0.0.1", timeoutMilliseconds: 20, keyPrefix: "edge:"))
        // A lone userinfo is the password, as redis-py and redis-cli read it.
        #expect(try parse("redis://s3cret@h") == .init(host: "h", password: "s3cret"))
        #expect(ThrottlingConfig.Redis(host: "h", password: "s3cret").description == "redis://h:6379/0")

        let bad: [(String, String)] = [
            ("rediss://:s3cret@h", "uses TLS (rediss://), which the throttling store does not support yet: use redis:// on a trusted network"),
            ("http://:s3cret@h", "must be a redis:// URL"),
            ("redis://:s3cret@h:0", "has a port outside 1...65535"),
            ("redis://:s3cret@h:99999", "has a port outside 1...65535"),
            ("redis://:s3cret@/0", "must name a host"),
            ("redis://:s3cret@h/db", "has a database that is not a number (redis://host:port/0)"),
            ("redis://:s3cr%zzet@h", "has a user or password with an invalid percent-escape"),
        ]
        for (url, message) in bad {
            do {
                _ = try parse(url)
                Issue.record("accepted \(url)")
            } catch let error as ConfigError {
                let described = error.diagnostics.map(\.description)
                #expect(described == ["t.toml:4: throttling.redis.url: \(message)"], "\(url)")
                #expect(!described.joined().contains("s3cret"))
            }
        }
        do {
            _ = try ConfigLoader.parse(
                "[throttling]\nfailuresPerUser = { burst = 5, refillSeconds = 60 }\nredis = { url = \"redis://h\", timeoutMilliseconds = 0, other = 1 }\n" + service,
                file: "t.toml"
            )
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "t.toml:1: throttling.hashKey: is required with redis, so that every gateway sharing the store keys user names alike",
                "t.toml:3: throttling.redis.other: unknown key",
                "t.toml:3: throttling.redis.timeoutMilliseconds: must be between 1 and 10000",
            ])
        }
    }

    // MARK: The client

    @Test("the client authenticates, selects its database and pipelines commands on one connection")
    func client() async throws {
        try await RedisServer.run(password: "s3cret") { server in
            let client = Self.client(server, password: "s3cret", database: 3)
            #expect(try await Self.send(RESPCommand("PING"), client) == .simpleString("PONG"))
            let replies = try await client.eventLoop.flatSubmit {
                EventLoopFuture.whenAllSucceed(
                    (0..<50).map { _ in client.send(RESPCommand("INCR", "counter")) }, on: client.eventLoop
                )
            }.get()
            #expect(replies == (1...50).map { .integer(Int64($0)) }, "in order")
            let other = Self.client(server, password: "s3cret", database: 0)
            #expect(try await Self.send(RESPCommand("GET", "counter"), other) == .bulkString(nil), "database 3, not 0")
            let anonymous = Self.client(server)
            guard case .error(let message) = try await Self.send(RESPCommand("PING"), anonymous) else {
                Issue.record("no AUTH, yet answered")
                return
            }
            #expect(message.hasPrefix("NOAUTH"))
            for client in [client, other, anonymous] { try await Self.close(client) }
        }
    }

    @Test("a server that stops answering: commands time out, then fail at once while the client waits to reconnect, and work again once it is back")
    func frozenServer() async throws {
        try await RedisServer.run { server in
            // One client that waits an hour before reconnecting, one that waits 50 ms.
            let waiting = Self.client(server, timeout: .seconds(1), reconnectPause: .hours(1) ... .hours(1))
            let client = Self.client(server, timeout: .seconds(1), reconnectPause: .milliseconds(50) ... .milliseconds(50))
            #expect(try await Self.send(RESPCommand("PING"), waiting) == .simpleString("PONG"))
            #expect(try await Self.send(RESPCommand("PING"), client) == .simpleString("PONG"))
            server.pause(true)
            await #expect(throws: RedisClientError.timeout) { try await Self.send(RESPCommand("PING"), waiting) }
            await #expect(throws: RedisClientError.unavailable) { try await Self.send(RESPCommand("PING"), waiting) }
            await #expect(throws: RedisClientError.timeout) { try await Self.send(RESPCommand("PING"), client) }
            server.pause(false)
            // Bounded: the pause is 50 ms.
            var answered = false
            for _ in 0..<100 where !answered {
                answered = (try? await Self.send(RESPCommand("PING"), client)) == .simpleString("PONG")
                if !answered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(answered)
            await #expect(throws: RedisClientError.unavailable, "still pausing") { try await Self.send(RESPCommand("PING"), waiting) }
            try await Self.close(client)
            try await Self.close(waiting)
        }
    }

    // MARK: The script

    static func store(_ server: RedisServer) -> RedisThrottleStore {
        RedisThrottleStore(
            config: ThrottlingConfig.Redis(host: "127.0.0.1", port: server.port, keyPrefix: "test:"),
            scope: "global",
            perAddress: .init(interval: 60_000_000, tolerance: 2 * 60_000_000),  // burst 3, one a minute
            failuresPerAddress: .init(interval: 600_000_000, tolerance: 3 * 600_000_000),  // burst 4
            failuresPerUser: .init(interval: 600_000_000, tolerance: 0),  // burst 1
            recentSuccessWindow: .hours(24)
        )
    }

    @Test("the GCRA script: bursts, refusals with their waits, failures charged, a success forgiving the user and exempting its address; keys expire once refilled")
    func script() async throws {
        try await RedisServer.run { server in
            let store = Self.store(server)
            let client = Self.client(server)
            func admit(_ address: String, _ user: UInt64?) async throws -> RedisThrottleStore.Verdict {
                try await client.eventLoop.flatSubmit { store.admit(address: address, user: user, on: client) }.get()
            }
            func fail(_ address: String, _ user: UInt64?) async throws {
                try await client.eventLoop.flatSubmit { store.failed(address: address, user: user, on: client) }.get()
            }
            let start = ContinuousClock.now
            for _ in 0..<3 { #expect(try await admit("192.0.2.1", nil) == .admitted) }
            guard case .refused(.perAddress, let wait) = try await admit("192.0.2.1", nil) else {
                Issue.record("the fourth attempt in a burst of 3 was admitted")
                return
            }
            // One interval from the burst's start (on Redis' clock, read within this span).
            let elapsed = ContinuousClock.now - start
            #expect(wait <= .seconds(60) && .nanoseconds(wait.nanoseconds) >= .seconds(60) - elapsed - .milliseconds(5), "\(wait) after \(elapsed)")
            // The server forgets a script on SCRIPT FLUSH (or a restart): the store sends it again.
            #expect(try await Self.send(RESPCommand("SCRIPT", "FLUSH"), client) == .simpleString("OK"))

            for _ in 0..<4 { try await fail("192.0.2.2", nil) }
            guard case .refused(.failuresPerAddress, _) = try await admit("192.0.2.2", nil) else {
                Issue.record("four failures did not hold the address")
                return
            }
            // One failure holds the user everywhere…
            #expect(try await admit("192.0.2.3", 7) == .admitted)
            try await fail("192.0.2.3", 7)
            guard case .refused(.failuresPerUser, _) = try await admit("192.0.2.4", 7) else {
                Issue.record("the user's failure did not hold them")
                return
            }
            // …until they succeed, which also exempts that address from the per-user limit.
            try await client.eventLoop.flatSubmit { store.succeeded(address: "198.51.100.1", user: 7, on: client) }.get()
            #expect(try await admit("192.0.2.4", 7) == .admitted)
            try await fail("192.0.2.5", 7)
            #expect(try await admit("198.51.100.1", 7) == .admitted, "where the user recently succeeded")
            #expect(try await admit("192.0.2.6", 7) != .admitted)

            // Every key expires: at most one refill ahead.
            let keys = try await Self.send(RESPCommand("KEYS", "test:global:*"), client)
            guard case .array(let names?) = keys, !names.isEmpty else {
                Issue.record("no keys: \(keys)")
                return
            }
            for case .bulkString(let name?) in names {
                let ttl = try await Self.send(RESPCommand([Array("PTTL".utf8), name]), client).integer ?? -1
                #expect(ttl > 0 && ttl <= 24 * 3_600_000 + 1, "\(String(decoding: name, as: UTF8.self))")
            }
            try await Self.close(client)
        }
    }

    // MARK: Gateways

    /// The gateways' config. The timeout is generous: on a loaded machine Redis can take longer
    /// than the default 50 ms, and the local limits would then decide (as designed), hiding the
    /// shared ones from the test.
    static func config(redis: String, timeout: Int = 5000) -> String {
        ThrottlingTests.config(
            throttling: ThrottlingTests.limits + "\nhashKey = \"shared-hash-key-0123\"\nredis = { url = \"\(redis)\", timeoutMilliseconds = \(timeout) }"
        )
    }

    @Test("two gateway processes sharing a Redis throttle together; with Redis stopped they keep answering from their local limits")
    func twoGateways() async throws {
        try await RedisServer.run(password: "s3cret") { server in
            let file = try CommandRunner.temporaryFile(Self.config(redis: server.url).replacingOccurrences(of: "[metrics]\nport = 0\n", with: ""))
            let first = try ServeProcess(arguments: ["serve", "--config", file])
            let second = try ServeProcess(arguments: ["serve", "--config", file])
            defer {
                first.signal(SIGKILL)
                second.signal(SIGKILL)
            }
            let ports = [try #require(await first.waitForGatewayPort()), try #require(await second.waitForGatewayPort())]
            func attempt(_ gateway: Int, from address: String, _ user: String, _ password: String) async throws -> Int {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(ports[gateway])/api/x")
                request.headers.add(name: "x-forwarded-for", value: address)
                request.headers.add(name: "authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
                return Int(try await GatewayHarness.client.execute(request, timeout: .seconds(10)).status.code)
            }
            // alice's three failures (her burst), spread over both gateways and three addresses.
            #expect(try await attempt(0, from: "203.0.113.1", "alice", "guess") == 401)
            #expect(try await attempt(1, from: "203.0.113.2", "alice", "guess") == 401)
            #expect(try await attempt(0, from: "203.0.113.3", "alice", "guess") == 401)
            #expect(try await attempt(1, from: "203.0.113.4", "alice", "guess") == 429, "the second gateway counts the first one's failures")
            #expect(try await attempt(0, from: "203.0.113.4", "alice", "guess") == 429)
            #expect(try await attempt(1, from: "192.0.2.9", "bob", "bob123") == 200)

            await server.stop()
            // Each gateway alone now: its own failures only (1 or 2 of alice's so far, plus the
            // refused ones, which are not failures), so bob still gets in, and a burst of
            // failures on a new name is stopped locally.
            #expect(try await attempt(1, from: "192.0.2.9", "bob", "bob123") == 200)
            for _ in 0..<3 {
                #expect(try await attempt(0, from: "203.0.113.7", "mallory", "x") == 401)
            }
            #expect(try await attempt(0, from: "203.0.113.7", "mallory", "x") == 429, "the local limit decides")
            #expect(try await attempt(1, from: "203.0.113.7", "mallory", "x") == 401, "the other gateway did not see those")
            first.signal(SIGTERM)
            second.signal(SIGTERM)
            #expect(await first.waitForExit() == 0)
            #expect(await second.waitForExit() == 0)
        }
    }

    @Test("a frozen Redis costs each check at most its timeout; the local limits decide, and portcullis_throttle_store_errors_total counts it")
    func frozenStore() async throws {
        try await RedisServer.run { server in
            try await GatewayHarness.run(Self.config(redis: server.url, timeout: 1000)) { gateway in
                #expect(try await ThrottlingTests.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 401)
                var metrics = try await gateway.metrics()
                #expect(metrics.contains("portcullis_throttle_store_errors_total 0"), "\(metrics)")
                server.pause(true)
                for _ in 0..<2 {
                    #expect(try await ThrottlingTests.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 401)
                }
                #expect(try await ThrottlingTests.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 429, "three local failures")
                #expect(try await ThrottlingTests.attempt(gateway, from: "198.51.100.1", "bob", "bob123").status == 200)
                metrics = try await gateway.metrics()
                #expect(!metrics.contains("portcullis_throttle_store_errors_total 0"), "\(metrics)")
                #expect(metrics.contains("portcullis_throttle_store_errors_total "))
                server.pause(false)
            }
        }
    }
}
