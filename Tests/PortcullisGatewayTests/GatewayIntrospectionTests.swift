import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
import PortcullisMetrics
import Testing
import PortcullisTestSupport

/// OAuth2 token introspection (RFC 7662) end to end: a real authorization server
/// (django-oauth-toolkit, `OAuth2Server`), tokens from its token endpoint, a real gateway and
/// upstream on loopback.
@Suite("Gateway introspection")
struct GatewayIntrospectionTests {
    static func config(url: String, scopes: String = #"["read"]"#, record: String = "", clientConfig: String? = nil) -> String {
        let client =
            clientConfig
            ?? #"clientConfig = { auth = { username = "\#(OAuth2Server.resourceServer.id)", password = "\#(OAuth2Server.resourceServer.secret)" } }"#
        return GatewayConfigs.apiService(
            """
              [[service.auth]]
              scopes = \(scopes)
              [service.auth.oauth2IntrospectionConfig]
              url = "\(url)"
              tokenTypeHint = "access_token"
              \(client)
              \(record)
            """
        )
    }

    static func bearer(_ token: String) -> [(String, String)] {
        [("authorization", "Bearer \(token)")]
    }

    /// An endpoint for tests that drive an ``IntrospectionAuthenticator`` directly; shut it down.
    static func endpoint(
        _ config: IntrospectionConfig,
        concurrentCalls: Int = IntrospectionEndpoint.defaultConcurrentCalls,
        queuedCalls: Int = IntrospectionEndpoint.defaultQueuedCalls
    ) -> IntrospectionEndpoint {
        IntrospectionEndpoint(
            config: config,
            tls: nil,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            metrics: nil,
            logger: GatewayHarness.quietLogger,
            concurrentCalls: concurrentCalls,
            queuedCalls: queuedCalls
        )
    }

    @Test("Active with the scope → 200 and the identity forwarded; without it → 403 insufficient_scope; bogus, revoked, expired → 401")
    func decisions() async throws {
        try await OAuth2Server.run { server in try await self.decisions(server) }
    }

    private func decisions(_ server: OAuth2Server) async throws {
        let service = try await server.clientCredentialsToken(scope: "read hello")
        let bob = try await server.passwordToken(username: "bob", password: "bob123", scope: "read write")
        let alice = try await server.passwordToken(username: "alice", password: "alice123", scope: "admin")
        let revoked = try await server.clientCredentialsToken(scope: "read")
        let expired = try await server.passwordToken(username: "bob", password: "bob123", scope: "read")
        try await server.revoke(revoked)
        try await server.expire(expired)
        // Inactive answers are kept long enough that the second round below cannot outlive them.
        try await GatewayHarness.run(Self.config(url: server.introspectionURL, record: "inactiveTokenCacheTimeInSeconds = 300")) { gateway in
            let allowed = try await gateway.get("/api/orders", headers: Self.bearer(service))
            #expect(allowed.status == 200)
            let echoed = try allowed.echoed()
            // A client-credentials token names no user: the client is the subject.
            #expect(echoed.header("x-auth-subject") == ["gateway"])
            #expect(echoed.header("x-auth-scopes") == ["read hello"])
            #expect(echoed.header("x-auth-method") == ["introspection"])
            // The token itself still reaches the upstream, as with JWT entries.
            #expect(echoed.header("authorization") == ["Bearer \(service)"])
            let user = try await gateway.get("/api/orders", headers: Self.bearer(bob))
            #expect(user.status == 200)
            #expect(try user.echoed().header("x-auth-subject") == ["bob"])
            let forbidden = try await gateway.get("/api/orders", headers: Self.bearer(alice))
            #expect(forbidden.status == 403)
            #expect(forbidden.headers["www-authenticate"] == [#"Bearer realm="portcullis", error="insufficient_scope", scope="read""#])
            for (name, token) in [("bogus", "bogus-token-never-issued"), ("revoked", revoked), ("expired", expired)] {
                let response = try await gateway.get("/api/orders", headers: Self.bearer(token))
                #expect(response.status == 401, "\(name)")
                #expect(response.headers["www-authenticate"] == [#"Bearer realm="portcullis", error="invalid_token""#], "\(name)")
                #expect(response.body.isEmpty, "\(name)")
            }
            // Every answer is cached (the inactive ones briefly): asking again costs no call.
            let calls = try await server.introspectionCount()
            for token in [service, bob, alice, revoked] {
                _ = try await gateway.get("/api/orders", headers: Self.bearer(token))
            }
            #expect(try await server.introspectionCount() == calls)
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="introspection",outcome="allowed"} 4"#))
            #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="introspection",outcome="forbidden"} 2"#))
            #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="introspection",outcome="unauthenticated"} 4"#))
            #expect(metrics.contains(#"portcullis_idp_requests_total{kind="introspection",outcome="success"} 6"#))
            #expect(metrics.contains(#"portcullis_cache_lookups_total{cache="introspection",result="hit"} 3"#))
            #expect(metrics.contains(#"portcullis_cache_lookups_total{cache="introspection_inactive",result="hit"} 1"#))
            #expect(metrics.contains(#"portcullis_idp_duration_seconds_count{kind="introspection"} 6"#))
        }
    }

    @Test("100 concurrent requests with one new token make exactly one introspection call")
    func singleFlight() async throws {
        try await OAuth2Server.run { server in try await self.singleFlight(server) }
    }

    private func singleFlight(_ server: OAuth2Server) async throws {
        let token = try await server.clientCredentialsToken(scope: "read")
        let before = try await server.introspectionCount()
        try await GatewayHarness.run(Self.config(url: server.introspectionURL)) { gateway in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await gateway.get("/api/x", headers: Self.bearer(token)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 100))
            #expect(try await server.introspectionCount() - before == 1)
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_idp_requests_total{kind="introspection",outcome="success"} 1"#))
        }
    }

    @Test("Authorization server stopped: cached tokens keep working, others get 503 with retry-after")
    func serverDown() async throws {
        try await OAuth2Server.run { server in try await self.serverDown(server) }
    }

    private func serverDown(_ server: OAuth2Server) async throws {
        let cached = try await server.clientCredentialsToken(scope: "read")
        let unseen = try await server.clientCredentialsToken(scope: "read")
        try await GatewayHarness.run(Self.config(url: server.introspectionURL)) { gateway in
            try await gateway.expect(200, "/api/x", headers: Self.bearer(cached))
            await server.stop()
            try await gateway.expect(200, "/api/x", headers: Self.bearer(cached))
            for token in [unseen, "bogus-token-never-issued"] {
                let response = try await gateway.get("/api/x", headers: Self.bearer(token))
                #expect(response.status == 503)
                #expect(response.headers["retry-after"].first != nil)
                #expect(response.body.isEmpty)
            }
            // An outage is never cached as a verdict: the same token asks again (and fails again).
            try await gateway.expect(503, "/api/x", headers: Self.bearer(unseen))
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="introspection",outcome="unavailable"} 3"#))
            #expect(metrics.contains(#"portcullis_idp_requests_total{kind="introspection",outcome="unreachable"} 3"#))
        }
    }

    @Test("A cached answer is served until the token's exp and not a moment after")
    func cachedUntilExp() async throws {
        try await OAuth2Server.run { server in try await self.cachedUntilExp(server) }
    }

    private func cachedUntilExp(_ server: OAuth2Server) async throws {
        let token = try await server.clientCredentialsToken(scope: "read")
        let now = NIOLockedValueBox(Date().timeIntervalSince1970)
        let config = IntrospectionConfig(
            url: server.introspectionURL,
            client: IdentityProviderClientConfig(auth: .basic(username: OAuth2Server.resourceServer.id, password: OAuth2Server.resourceServer.secret))
        )
        let endpoint = Self.endpoint(config)
        let authenticator = IntrospectionAuthenticator(config: config, endpoint: endpoint, clock: { now.withLockedValue { $0 } })
        let request = AuthRequest(authorization: "Bearer \(token)")
        let first = await authenticator.authenticate(request)
        await server.stop()
        var exp = Double.nan
        if case .authenticated(let principal) = first, case .number(let value)? = principal.claims["exp"] {
            exp = value
        }
        now.withLockedValue { $0 = exp - 1 }
        let beforeExp = await authenticator.authenticate(request)
        now.withLockedValue { $0 = exp }
        let atExp = await authenticator.authenticate(request)
        await endpoint.shutdown()

        guard case .authenticated(let principal) = first else {
            Issue.record("an active token was not authenticated: \(first)")
            return
        }
        #expect(principal.scopes == ["read"])
        #expect(exp.isFinite, "the answer's exp is among the principal's claims")
        // The server is down: only the cache can answer, and it does until exp.
        #expect(beforeExp == .authenticated(principal))
        guard case .unavailable = atExp else {
            Issue.record("a token at its exp was served from the cache: \(atExp)")
            return
        }
    }

    @Test("An endpoint that never answers: calls beyond the in-flight and queue limits are refused at once; the rest end by the request timeout")
    func admission() async throws {
        let config = IntrospectionConfig(
            url: "http://127.0.0.1:\(RefusingPort.silentPort)/introspect",
            client: IdentityProviderClientConfig(requestTimeoutSeconds: 2)
        )
        let endpoint = Self.endpoint(config, concurrentCalls: 1, queuedCalls: 1)
        let authenticator = IntrospectionAuthenticator(config: config, endpoint: endpoint)
        async let first = authenticator.authenticate(AuthRequest(authorization: "Bearer token-1"))
        async let second = authenticator.authenticate(AuthRequest(authorization: "Bearer token-2"))
        // Until one call is in flight and one waits (bounded, in case neither ever happens).
        let giveUp = ContinuousClock.now + .seconds(10)
        while await endpoint.load != (1, 1), ContinuousClock.now < giveUp {
            await Task.yield()
        }
        let third = await authenticator.authenticate(AuthRequest(authorization: "Bearer token-3"))
        let earlier = await [first, second]
        await endpoint.shutdown()
        guard case .unavailable(let refused) = third else {
            Issue.record("a call beyond the limits was not refused: \(third)")
            return
        }
        #expect(refused.code == .overloaded)
        for result in earlier {
            guard case .unavailable(let failure) = result else {
                Issue.record("a call to a silent endpoint did not end unavailable: \(result)")
                continue
            }
            #expect(failure.code == .providerUnavailable)
        }
    }

    @Test("HTTPS endpoint trusted through clientConfig.secureSocket; a bearer token authenticates the gateway")
    func overHTTPS() async throws {
        let pki = try TestPKI()
        let ca = try pki.authority("ca")
        try pki.server("server", issuer: ca)
        try await OAuth2Server.run(tls: (pki.path("server.crt"), pki.path("server.key"), pki.path("ca.crt"))) { server in
            try await self.overHTTPS(server, pki: pki)
        }
    }

    private func overHTTPS(_ server: OAuth2Server, pki: TestPKI) async throws {
        let token = try await server.clientCredentialsToken(scope: "read")
        let introspector = try await server.clientCredentialsToken(client: OAuth2Server.resourceServer, scope: "introspection")
        let trusted = #"secureSocket = { cert = "\#(pki.path("ca.crt"))" }"#
        let basic = #"auth = { username = "\#(OAuth2Server.resourceServer.id)", password = "\#(OAuth2Server.resourceServer.secret)" }"#
        try await GatewayHarness.run(Self.config(url: server.introspectionURL, clientConfig: "clientConfig = { \(basic), \(trusted) }")) { gateway in
            try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
        }
        try await GatewayHarness.run(
            Self.config(url: server.introspectionURL, clientConfig: #"clientConfig = { auth = { token = "\#(introspector)" }, \#(trusted) }"#)
        ) { gateway in
            try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
        }
        // Without the CA the system roots do not trust the server: it cannot decide, so 503.
        try await GatewayHarness.run(Self.config(url: server.introspectionURL, clientConfig: "clientConfig = { \(basic) }")) { gateway in
            try await gateway.expect(503, "/api/x", headers: Self.bearer(token))
        }
    }

    @Test("clientConfig.auth as a client credentials grant: the gateway gets one token with the introspection scope and uses it for every call")
    func grantForIntrospection() async throws {
        try await OAuth2Server.run { server in
            let tokens = [
                try await server.clientCredentialsToken(scope: "read"),
                try await server.clientCredentialsToken(scope: "read hello"),
                try await server.passwordToken(username: "bob", password: "bob123", scope: "read"),
            ]
            let grant = #"""
                clientConfig = { auth = { tokenUrl = "\#(server.tokenURL)", clientId = "\#(OAuth2Server.resourceServer.id)", clientSecret = "\#(OAuth2Server.resourceServer.secret)", scopes = ["introspection"] } }
                """#
            try await GatewayHarness.run(Self.config(url: server.introspectionURL, clientConfig: grant)) { gateway in
                for token in tokens {
                    try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
                }
                try await gateway.expect(401, "/api/x", headers: Self.bearer("never-issued-token"))
                let before = try await server.tokenRequests()
                // Three tokens the test asked for, and the gateway's one.
                #expect(before == ["client_credentials": 3, "password": 1])
                #expect(try await server.introspectionCount() == 4)
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="token",outcome="success"} 1"#))
            }
        }
    }

    @Test("Client credentials with reserved characters are form-encoded before Basic (RFC 6749 §2.3.1)")
    func reservedCharactersInCredentials() async throws {
        try await OAuth2Server.run { server in
            let token = try await server.clientCredentialsToken(scope: "read")
            let config = Self.config(
                url: server.introspectionURL,
                clientConfig: #"clientConfig = { auth = { username = "reserved+client", password = "p+ss/w=rd&:%é" } }"#
            )
            try await GatewayHarness.run(config) { gateway in
                try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
            }
        }
    }

    @Test("Wrong client credentials: the server refuses the gateway, which answers 503, not 401")
    func gatewayRefused() async throws {
        try await OAuth2Server.run { server in try await self.gatewayRefused(server) }
    }

    private func gatewayRefused(_ server: OAuth2Server) async throws {
        let token = try await server.clientCredentialsToken(scope: "read")
        let config = Self.config(url: server.introspectionURL, clientConfig: #"clientConfig = { auth = { username = "resource-server", password = "wrong" } }"#)
        try await GatewayHarness.run(config) { gateway in
            try await gateway.expect(503, "/api/x", headers: Self.bearer(token))
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_idp_requests_total{kind="introspection",outcome="error"} 1"#))
        }
    }
}
