import AsyncHTTPClient
import Foundation
import PortcullisClientAuth
import PortcullisConfig
import Synchronization
import Testing
import PortcullisTestSupport

/// The OAuth2 token manager against a real authorization server (django-oauth-toolkit,
/// `OAuth2Server`): each grant, renewal at expiry on a clock the test moves, one token request
/// however many callers, refusals and outages. Tokens are checked by asking the server to
/// introspect them.
@Suite("OAuth2 token manager")
struct OAuth2TokenManagerTests {
    /// Seconds the test moves by hand.
    final class ManualClock: Sendable {
        private let seconds = Mutex<Double>(1_000)
        var now: @Sendable () -> Double { { self.seconds.withLock { $0 } } }
        func advance(by delta: Double) { self.seconds.withLock { $0 += delta } }
    }

    static func clientCredentials(_ server: OAuth2Server, bearer: OAuth2TokenEndpointConfig.CredentialBearer = .authorizationHeader, secret: String? = nil)
        -> OAuth2GrantConfig
    {
        OAuth2GrantConfig(
            grant: .clientCredentials,
            endpoint: OAuth2TokenEndpointConfig(
                url: server.tokenURL,
                clientID: OAuth2Server.gateway.id,
                clientSecret: secret ?? OAuth2Server.gateway.secret,
                scopes: ["read", "hello"],
                credentialBearer: bearer
            )
        )
    }

    /// Calls token endpoints as the gateway does (no connect retries: an outage fails at once).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: TokenEndpoint.clientConfiguration(.init(), tls: nil))

    static func token(_ header: String) throws -> String {
        try #require(header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil, "\(header) is not a bearer token")
    }

    @Test("Client credentials in the Authorization header and in the body both give an active token of the client", arguments: [
        OAuth2TokenEndpointConfig.CredentialBearer.authorizationHeader, .postBody,
    ])
    func clientCredentials(bearer: OAuth2TokenEndpointConfig.CredentialBearer) async throws {
        try await OAuth2Server.run { server in
            let manager = OAuth2TokenManager(config: Self.clientCredentials(server, bearer: bearer), client: Self.client, logger: GatewayHarness.quietLogger)
            let header = try await manager.authorization()
            let introspected = try await server.introspect(try Self.token(header))
            #expect(introspected.active && introspected.clientID == OAuth2Server.gateway.id)
            // Kept: asking again costs no request.
            #expect(try await manager.authorization() == header)
            #expect(try await server.tokenRequests() == ["client_credentials": 1])
        }
    }

    @Test("customPayload and clientConfig.customHeaders from a config reach the authorization server with the grant")
    func customPayloadAndHeaders() async throws {
        try await OAuth2Server.run { server in
            let config = try ConfigLoader.parse(
                """
                [[service]]
                basePath = "/"
                upstream = "http://127.0.0.1:8080"
                  [service.upstreamClient.auth]
                  tokenUrl = "\(server.tokenURL)"
                  clientId = "\(OAuth2Server.gateway.id)"
                  clientSecret = "\(OAuth2Server.gateway.secret)"
                  scopes = ["read"]
                  customPayload = "audience=orders-api&tenant_hint=urn%3Aacme%20eu"
                  clientConfig = { customHeaders = { x-tenant = "acme" } }
                """,
                file: "grant.toml"
            )
            guard case .oauth2(let grant)? = config.services.first?.upstreamClient.auth else {
                Issue.record("not an OAuth2 grant")
                return
            }
            let manager = OAuth2TokenManager(config: grant, client: Self.client, logger: GatewayHarness.quietLogger)
            let header = try await manager.authorization()
            #expect(try await server.introspect(try Self.token(header)).active)
            let request = try await server.lastTokenRequest()
            #expect(request.form["grant_type"] == "client_credentials")
            #expect(request.form["audience"] == "orders-api")
            #expect(request.form["tenant_hint"] == "urn:acme eu")
            #expect(request.headers["x-tenant"] == "acme")
        }
    }

    @Test("200 concurrent callers at a cold start, and again right after expiry: exactly one token request each time")
    func singleFlight() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let manager = OAuth2TokenManager(config: Self.clientCredentials(server), client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
            let first = try await Self.concurrently(200) { try await manager.authorization() }
            #expect(Set(first).count == 1)
            #expect(try await server.tokenRequests() == ["client_credentials": 1])
            // django-oauth-toolkit's tokens live an hour; one second past that the token is expired.
            clock.advance(by: 3601)
            let second = try await Self.concurrently(200) { try await manager.authorization() }
            #expect(Set(second).count == 1 && second[0] != first[0])
            #expect(try await server.tokenRequests() == ["client_credentials": 2])
            #expect(try await server.introspect(try Self.token(second[0])).active)
        }
    }

    @Test("Shortly before expiry one caller starts a background renewal; everyone keeps the current token meanwhile")
    func renewsAhead() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let manager = OAuth2TokenManager(config: Self.clientCredentials(server), client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
            let first = try await manager.authorization()
            // 3600 s tokens are renewed in their last minute.
            clock.advance(by: 3550)
            let during = try await Self.concurrently(50) { try await manager.authorization() }
            #expect(Set(during) == [first])
            await manager.renewalFinished()
            let renewed = try await manager.authorization()
            #expect(renewed != first)
            #expect(try await server.tokenRequests() == ["client_credentials": 2])
        }
    }

    @Test("The password grant renews with its refresh token, and with each rotated one after that")
    func passwordGrant() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let config = OAuth2GrantConfig(
                grant: .password(username: "alice", password: "alice123"),
                endpoint: OAuth2TokenEndpointConfig(
                    url: server.tokenURL,
                    clientID: OAuth2Server.passwordClient.id,
                    clientSecret: OAuth2Server.passwordClient.secret,
                    scopes: ["read"]
                )
            )
            let manager = OAuth2TokenManager(config: config, client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
            let first = try Self.token(try await manager.authorization())
            #expect(try await server.introspect(first).username == "alice")
            for round in 1...2 {
                clock.advance(by: 3601)
                let renewed = try Self.token(try await manager.authorization())
                #expect(renewed != first)
                #expect(try await server.introspect(renewed).active)
                // django-oauth-toolkit rotates refresh tokens and revokes the old one: a second
                // renewal succeeds only with the rotated token.
                #expect(try await server.tokenRequests() == ["password": 1, "refresh_token": round])
            }
        }
    }

    @Test("The password grant falls back to the password when the refresh token is refused")
    func passwordFallback() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let config = OAuth2GrantConfig(
                grant: .password(username: "bob", password: "bob123"),
                endpoint: OAuth2TokenEndpointConfig(
                    url: server.tokenURL,
                    clientID: OAuth2Server.passwordClient.id,
                    clientSecret: OAuth2Server.passwordClient.secret
                ),
                // Refresh tokens go to a client that does not own them: refused (invalid_grant).
                refresh: OAuth2TokenEndpointConfig(url: server.tokenURL, clientID: OAuth2Server.gateway.id, clientSecret: OAuth2Server.gateway.secret)
            )
            let manager = OAuth2TokenManager(config: config, client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
            _ = try await manager.authorization()
            clock.advance(by: 3601)
            let renewed = try Self.token(try await manager.authorization())
            #expect(try await server.introspect(renewed).username == "bob")
            #expect(try await server.tokenRequests() == ["password": 2, "refresh_token": 1])
        }
    }

    @Test("The refresh token grant starts from the configured token and goes on with the rotated ones")
    func refreshTokenGrant() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let (_, refresh) = try await server.passwordTokens(username: "alice", password: "alice123", scope: "read")
            let config = OAuth2GrantConfig(
                grant: .refreshToken(refresh),
                endpoint: OAuth2TokenEndpointConfig(
                    url: server.tokenURL,
                    clientID: OAuth2Server.passwordClient.id,
                    clientSecret: OAuth2Server.passwordClient.secret
                )
            )
            let manager = OAuth2TokenManager(config: config, client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
            let first = try Self.token(try await manager.authorization())
            #expect(try await server.introspect(first).username == "alice")
            clock.advance(by: 3601)
            #expect(try await server.introspect(try Self.token(try await manager.authorization())).active)
            #expect(try await server.tokenRequests()["refresh_token"] == 2)
        }
    }

    @Test("A wrong client secret is refused without the secret in the error; callers then back off, and try again after it")
    func refusedAndBackoff() async throws {
        try await OAuth2Server.run { server in
            let clock = ManualClock()
            let manager = OAuth2TokenManager(
                config: Self.clientCredentials(server, secret: "wrong-secret-value"),
                client: Self.client,
                logger: GatewayHarness.quietLogger,
                now: clock.now
            )
            do throws(ClientAuthError) {
                _ = try await manager.authorization()
                Issue.record("a wrong secret got a token")
            } catch {
                #expect(error == .refused(status: 401, error: "invalid_client", description: nil))
                #expect(!error.description.contains("wrong-secret-value"))
            }
            do throws(ClientAuthError) {
                _ = try await manager.authorization()
                Issue.record("no backoff")
            } catch {
                guard case .backingOff = error else {
                    Issue.record("\(error)")
                    return
                }
            }
            let afterBackoff = try await server.tokenRequests()
            #expect(afterBackoff == ["client_credentials": 1])
            clock.advance(by: 1.5)
            _ = try? await manager.authorization()
            let afterRetry = try await server.tokenRequests()
            #expect(afterRetry == ["client_credentials": 2])
        }
    }

    @Test("Authorization server down: unreachable; when it is back, a token without a new manager")
    func outageAndRecovery() async throws {
        let first = try await OAuth2Server.start()
        let port = first.port
        let config = Self.clientCredentials(first)
        await first.stop()
        let clock = ManualClock()
        let manager = OAuth2TokenManager(config: config, client: Self.client, logger: GatewayHarness.quietLogger, now: clock.now)
        do throws(ClientAuthError) {
            _ = try await manager.authorization()
            Issue.record("a token from a stopped server")
        } catch {
            guard case .unreachable = error else {
                Issue.record("\(error)")
                return
            }
        }
        try await withTestServer({ try await OAuth2Server.start(port: port) }) { server in
            clock.advance(by: 1.5)
            let header = try await manager.authorization()
            let introspected = try await server.introspect(try Self.token(header))
            #expect(introspected.active)
        }
    }

    /// Runs `body` `count` times at once and returns every result.
    static func concurrently<Value: Sendable>(_ count: Int, _ body: @escaping @Sendable () async throws -> Value) async throws -> [Value] {
        try await withThrowingTaskGroup(of: Value.self) { group in
            for _ in 0..<count { group.addTask { try await body() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
