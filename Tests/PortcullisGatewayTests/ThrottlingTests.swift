import Foundation
import NIOCore
import NIOHTTP1
import PortcullisConfig
import PortcullisMetrics
import Testing

@testable import PortcullisGateway

/// Failed-auth throttling: the limiter, the address rules, the config, and a live gateway.
@Suite("Throttling")
struct ThrottlingTests {
    // MARK: The limiter

    @Test("GCRA: burst events at once, the next refused until one interval has passed; a charge counts even when over")
    func gcra() {
        let table = GCRATable<String>(interval: .seconds(10), burst: 3, capacity: 100)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        for _ in 0..<3 {
            #expect(table.take("a", now: start) == nil)
        }
        let wait = table.take("a", now: start)
        #expect(wait == .seconds(10))
        #expect(table.take("b", now: start) == nil, "another key has its own burst")
        #expect(table.take("a", now: start + .seconds(10)) == nil, "one more after one interval")
        #expect(table.take("a", now: start + .seconds(10)) != nil)
        table.reset("a")
        #expect(table.wait("a", now: start + .seconds(10)) == nil)
        // Failures are charged whether they conform or not, but never beyond one burst ahead.
        for _ in 0..<100 { table.charge("c", now: start) }
        #expect(table.wait("c", now: start) == .seconds(10))
        #expect(table.wait("c", now: start + .seconds(10)) == nil)
    }

    @Test("a full table drops refilled keys first, and never grows past its capacity")
    func capacity() {
        let table = GCRATable<Int>(interval: .seconds(1), burst: 1, capacity: 160)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        for key in 0..<10_000 {
            _ = table.take(key, now: start + .milliseconds(Int64(key)))
        }
        #expect(table.count <= 160)
    }

    @Test("address blocks: IPv4 and IPv6 CIDRs, single addresses, and refusals of what is not one")
    func addressBlocks() throws {
        let ten = try AddressBlock.parse("10.0.0.0/8").get()
        #expect(ten.contains("10.200.3.4"))
        #expect(!ten.contains("11.0.0.1"))
        #expect(!ten.contains("::ffff:10.0.0.1"), "another family is never inside")
        let six = try AddressBlock.parse("2001:db8::/32").get()
        #expect(six.contains("2001:db8:1::5"))
        #expect(!six.contains("2001:db9::1"))
        #expect(try AddressBlock.parse("192.0.2.7").get().contains("192.0.2.7"))
        #expect(try AddressBlock.parse("::1").get().contains("::1"))
        #expect(try AddressBlock.parse("10.1.2.3/8").get().description == "10.0.0.0/8")
        for bad in ["10.0.0.0/33", "10.0.0/8", "fe80::1::2", "example.com", "10.0.0.256", "::/129", ""] {
            #expect(throws: ConfigValueError.self, "\(bad)") { try AddressBlock.parse(bad).get() }
        }
    }

    @Test("the client address: the peer's, or the right-most X-Forwarded-For hop that is not a trusted proxy")
    func clientAddress() throws {
        let trusted = [try AddressBlock.parse("10.0.0.0/8").get()]
        let forwarded: HTTPHeaders = ["X-Forwarded-For": "203.0.113.9, 198.51.100.4, 10.1.1.1"]
        #expect(ClientAddress.resolve(peer: "10.0.0.2", headers: forwarded, trusted: trusted) == "198.51.100.4")
        #expect(ClientAddress.resolve(peer: "192.0.2.1", headers: forwarded, trusted: trusted) == "192.0.2.1", "an untrusted peer's header is ignored")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", headers: [:], trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", headers: ["X-Forwarded-For": "not-an-address"], trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", headers: forwarded, trusted: []) == "10.0.0.2")
    }

    @Test("[throttling] errors name their line and key; [service.throttling] replaces the global table")
    func config() throws {
        let service = "\n[[service]]\nbasePath = \"/\"\nupstream = \"http://127.0.0.1:1\"\n"
        let good = try ConfigLoader.parse(
            """
            [throttling]
            perAddress = { rate = 20, burst = 40 }
            failuresPerAddress = { burst = 10, refillSeconds = 15 }
            failuresPerUser = { burst = 5, refillSeconds = 60 }
            trustedProxies = ["10.0.0.0/8", "::1"]
            status = 503
            shadow = true
            hashKey = "0123456789abcdef0123"
            """ + service + "[service.throttling]\nfailuresPerUser = { burst = 2, refillSeconds = 5 }\n",
            file: "t.toml"
        )
        #expect(good.throttling?.perAddress == .init(rate: 20, burst: 40))
        #expect(good.throttling?.failuresPerUser == .init(burst: 5, refillSeconds: 60))
        #expect(good.throttling?.trustedProxies.count == 2)
        #expect(good.throttling?.status == 503)
        #expect(good.throttling?.shadow == true)
        #expect(good.services.first?.throttling == ThrottlingConfig(failuresPerUser: .init(burst: 2, refillSeconds: 5)))
        do {
            _ = try ConfigLoader.parse(
                """
                [throttling]
                perAddress = { rate = 0, burst = 40 }
                failuresPerUser = { burst = 0 }
                trustedProxies = ["10.0.0.0/40"]
                status = 200
                hashKey = "short"
                redis = { url = "redis://127.0.0.1" }
                """ + service,
                file: "t.toml"
            )
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "t.toml:2: throttling.perAddress.rate: must be greater than 0 and at most 1000000 per second",
                "t.toml:3: throttling.failuresPerUser.burst: must be between 1 and 1000000",
                "t.toml:3: throttling.failuresPerUser.refillSeconds: is required (seconds until one more failure is allowed)",
                #"t.toml:4: throttling.trustedProxies[0]: "10.0.0.0/40" has a prefix length outside 0...32"#,
                "t.toml:5: throttling.status: must be an HTTP error status (400...599)",
                "t.toml:6: throttling.hashKey: must be at least 16 characters (it keys the user-name hash)",
            ])
        }
    }

    // MARK: A live gateway

    static func config(throttling: String) -> String {
        """
        [listener]
        port = 0
        [metrics]
        port = 0
        [throttling]
        \(throttling)

        \(GatewayConfigs.users)

        [[service]]
        name = "api"
        basePath = "/api"
          [[service.auth]]
          fileUserStoreConfig = {}
          [[service.resource]]
          path = "/**"
          respond = { status = 200, body = "ok" }
        """
    }

    static let limits = """
        perAddress = { rate = 1000, burst = 1000 }
        failuresPerAddress = { burst = 5, refillSeconds = 600 }
        failuresPerUser = { burst = 3, refillSeconds = 600 }
        trustedProxies = ["127.0.0.1/32"]
        """

    /// A request from `address` (through the trusted loopback proxy) as `user:password`.
    static func attempt(_ gateway: GatewayHarness.Context, from address: String, _ user: String, _ password: String) async throws -> TestResponse {
        try await gateway.get(
            "/api/x",
            headers: [
                ("x-forwarded-for", address),
                ("authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()),
            ]
        )
    }

    @Test("a brute force on one user gets 429 after the burst; other users and addresses are untouched; the real user gets in where they succeeded before; an unknown name is throttled alike")
    func bruteForce() async throws {
        try await GatewayHarness.run(Self.config(throttling: Self.limits)) { gateway in
            // alice signed in from home before the attack.
            #expect(try await Self.attempt(gateway, from: "198.51.100.10", "alice", "alice123").status == 200)
            for _ in 0..<3 {
                #expect(try await Self.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 401)
            }
            let refused = try await Self.attempt(gateway, from: "203.0.113.1", "alice", "guess")
            #expect(refused.status == 429)
            let retryAfter = try #require(refused.headers["retry-after"].first.flatMap(Int.init))
            #expect((1...600).contains(retryAfter))
            // Even the right password is refused from a new address while alice's failures last…
            #expect(try await Self.attempt(gateway, from: "203.0.113.2", "alice", "alice123").status == 429)
            // …but not from where she succeeded before, and bob elsewhere is untouched.
            #expect(try await Self.attempt(gateway, from: "198.51.100.10", "alice", "alice123").status == 200)
            #expect(try await Self.attempt(gateway, from: "192.0.2.50", "bob", "wrong").status == 401)
            #expect(try await Self.attempt(gateway, from: "192.0.2.50", "bob", "bob123").status == 200)

            // A name that does not exist is counted exactly like one that does.
            for _ in 0..<3 {
                #expect(try await Self.attempt(gateway, from: "203.0.113.3", "mallory", "x").status == 401)
            }
            #expect(try await Self.attempt(gateway, from: "203.0.113.3", "mallory", "x").status == 429)

            // One address spraying many names: refused after its own failure burst.
            for index in 0..<5 {
                #expect(try await Self.attempt(gateway, from: "203.0.113.4", "user\(index)", "x").status == 401)
            }
            #expect(try await Self.attempt(gateway, from: "203.0.113.4", "user9", "x").status == 429)
            #expect(try await Self.attempt(gateway, from: "203.0.113.5", "user9", "x").status == 401)

            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_throttled_total{service="api",limiter="failures_per_user"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"portcullis_throttled_total{service="api",limiter="failures_per_address"} 1"#))
        }
    }

    @Test("shadow mode only counts: the attempts over the limit are answered as without throttling")
    func shadow() async throws {
        try await GatewayHarness.run(Self.config(throttling: Self.limits + "\nshadow = true")) { gateway in
            for _ in 0..<3 {
                #expect(try await Self.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 401)
            }
            #expect(try await Self.attempt(gateway, from: "203.0.113.1", "alice", "guess").status == 401)
            // Over the limit too (it would have been refused), yet answered.
            #expect(try await Self.attempt(gateway, from: "203.0.113.1", "alice", "alice123").status == 200)
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_throttled_total{service="api",limiter="failures_per_user"} 2"#), "\(metrics)")
        }
    }

    @Test("an untrusted peer's X-Forwarded-For is ignored: spoofed addresses do not escape the per-address limit; the status is configurable")
    func spoofedForwardedFor() async throws {
        let limits = """
            failuresPerAddress = { burst = 3, refillSeconds = 600 }
            status = 503
            """
        try await GatewayHarness.run(Self.config(throttling: limits)) { gateway in
            for index in 0..<3 {
                #expect(try await Self.attempt(gateway, from: "203.0.113.\(index)", "user\(index)", "x").status == 401)
            }
            let refused = try await Self.attempt(gateway, from: "203.0.113.99", "user99", "x")
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"].first != nil)
            // A request without credentials is not a failure, but it is still held to the limit.
            #expect(try await gateway.get("/api/x").status == 503)
        }
    }
}
