import AsyncHTTPClient
import Foundation
import Logging
import HummingbirdCore
import HTTPTypes
import HummingbirdTLS
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisMetrics
import Testing
import X509
import PortcullisTestSupport

/// JWT validation end to end: tokens made by PyJWT (`JWTFixture`), a real gateway and upstream on
/// loopback, keys from certificates, public keys, a trust store, a secret and live JWKS endpoints.
@Suite("Gateway JWT")
struct GatewayJWTTests {
    static func config(signature: String, validator: String = "", scopes: String = #"["read"]"#) -> String {
        GatewayConfigs.apiService(
            """
              [[service.auth]]
              scopes = \(scopes)
              [service.auth.jwtValidatorConfig]
              issuer = "test-issuer"
              audience = "portcullis"
              \(validator)
              [service.auth.jwtValidatorConfig.signatureConfig]
              \(signature)
            """
        )
    }

    static func bearer(_ token: String) -> [(String, String)] {
        [("authorization", "Bearer \(token)")]
    }

    @Test("RS256 from a certificate: 200 with the identity forwarded, 403 without the scope")
    func certificateRS256() async throws {
        let fixture = try await JWTFixture.make()
        let tokens = try await fixture.tokens([
            ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()],
            ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims(scope: "write")],
            ["key": "rsa", "alg": "PS256", "claims": JWTFixture.claims(extra: ["scope": ["read", "write"]])],
        ])
        try await GatewayHarness.run(Self.config(signature: #"certFile = "\#(fixture.path("rsa.crt"))""#)) { gateway in
            let allowed = try await gateway.get("/api/orders", headers: Self.bearer(tokens[0]))
            #expect(allowed.status == 200)
            let echoed = try allowed.echoed()
            #expect(echoed.header("x-auth-subject") == ["alice"])
            #expect(echoed.header("x-auth-method") == ["jwt"])
            let forbidden = try await gateway.get("/api/orders", headers: Self.bearer(tokens[1]))
            #expect(forbidden.status == 403)
            #expect(forbidden.headers["www-authenticate"] == [#"Bearer realm="portcullis", error="insufficient_scope", scope="read""#])
            // PS256 with the same RSA key, scopes as an array.
            try await gateway.expect(200, "/api/orders", headers: Self.bearer(tokens[2]))
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="jwt",outcome="allowed"} 2"#))
        }
    }

    @Test("Every algorithm family verifies with its own key type: ES256, ES384, EdDSA, HS256/384/512")
    func algorithmFamilies() async throws {
        let fixture = try await JWTFixture.make()
        let secret = "a-shared-secret-of-at-least-32-bytes!"
        let cases: [(signature: String, specs: [[String: any Sendable]])] = [
            (#"certFile = "\#(fixture.path("ec.crt"))""#, [["key": "ec", "alg": "ES256", "claims": JWTFixture.claims()]]),
            (#"certFile = "\#(fixture.path("ec384.pub"))""#, [["key": "ec384", "alg": "ES384", "claims": JWTFixture.claims()]]),
            (#"certFile = "\#(fixture.path("ed.pub"))""#, [["key": "ed", "alg": "EdDSA", "claims": JWTFixture.claims()]]),
            (
                #"secret = "\#(secret)""#,
                ["HS256", "HS384", "HS512"].map { ["key": "secret:\(secret)", "alg": $0, "claims": JWTFixture.claims()] }
            ),
        ]
        for (signature, specs) in cases {
            let tokens = try await fixture.tokens(specs)
            try await GatewayHarness.run(Self.config(signature: signature)) { gateway in
                for token in tokens {
                    try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
                }
            }
        }
    }

    @Test("Attacks are refused with 401 and the gateway keeps serving")
    func attacks() async throws {
        let fixture = try await JWTFixture.make()
        let good: [String: any Sendable] = ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()]
        let specs: [(String, [String: any Sendable])] = [
            ("alg none", ["alg": "none", "raw": "none", "claims": JWTFixture.claims()]),
            ("alg None", ["alg": "None", "raw": "none", "claims": JWTFixture.claims()]),
            ("alg NONE", ["alg": "NONE", "raw": "none", "claims": JWTFixture.claims()]),
            ("HS256 keyed with the public key", ["raw": "hs-with-pem", "pem": "rsa.pub", "claims": JWTFixture.claims()]),
            ("HS256 keyed with the certificate", ["raw": "hs-with-pem", "pem": "rsa.crt", "claims": JWTFixture.claims()]),
            ("tampered payload", good.merging(["raw": "tamper-payload"]) { $1 }),
            ("tampered signature", good.merging(["raw": "tamper-signature"]) { $1 }),
            ("expired", good.merging(["claims": JWTFixture.claims(expiresIn: -120)]) { $1 }),
            ("nbf ahead", good.merging(["claims": JWTFixture.claims(extra: ["nbf": "now+600"])]) { $1 }),
            ("wrong iss", good.merging(["claims": JWTFixture.claims(extra: ["iss": "evil"])]) { $1 }),
            ("wrong aud", good.merging(["claims": JWTFixture.claims(extra: ["aud": "someone-else"])]) { $1 }),
            ("signed by another key", ["key": "rsa2", "alg": "RS256", "claims": JWTFixture.claims()]),
            ("deeply nested JSON", good.merging(["raw": "nested"]) { $1 }),
        ]
        let made = try await fixture.tokens(specs.map(\.1) + [good])
        let tokens = Array(made.dropLast())
        let valid = made[made.count - 1]
        let big = try await fixture.tokens([10_000, 20_000].map { size in
            good.merging(["claims": JWTFixture.claims(extra: ["pad": String(repeating: "x", count: size)])]) { $1 }
        })
        let handmade: [(String, String)] = [
            ("a 13 KB token (over the 8 KiB token limit)", big[0]),
            ("not base64", "eyJhbGciOiJSUzI1NiJ9.!!!.abc"),
            ("two segments", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0"),
            ("four segments", valid + ".eyJ9"),
            ("garbage", "not-a-jwt"),
        ]
        try await GatewayHarness.run(Self.config(signature: #"certFile = "\#(fixture.path("rsa.crt"))""#)) { gateway in
            for (name, token) in zip(specs.map(\.0), tokens) + handmade {
                let response = try await gateway.get("/api/x", headers: Self.bearer(token))
                #expect(response.status == 401, "\(name)")
                #expect(response.headers["www-authenticate"] == [#"Bearer realm="portcullis", error="invalid_token""#], "\(name)")
                #expect(response.body.isEmpty, "\(name)")
            }
            // A 20 KB token makes the header block exceed its 16 KiB limit: 431 before any auth.
            try await gateway.expect(431, "/api/x", headers: Self.bearer(big[1]))
            try await gateway.expect(200, "/api/x", headers: Self.bearer(valid))
        }
    }

    @Test("A trust store entry picked by alias verifies; the other entry's tokens do not")
    func trustStoreAlias() async throws {
        let fixture = try await JWTFixture.make()
        let tokens = try await fixture.tokens([
            ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()],
            ["key": "rsa2", "alg": "RS256", "claims": JWTFixture.claims()],
        ])
        let signature = #"trustStoreConfig = { trustStore = { path = "\#(fixture.path("truststore.p12"))", password = "storepass" }, certAlias = "signer" }"#
        try await GatewayHarness.run(Self.config(signature: signature)) { gateway in
            try await gateway.expect(200, "/api/x", headers: Self.bearer(tokens[0]))
            try await gateway.expect(401, "/api/x", headers: Self.bearer(tokens[1]))
        }
    }

    @Test("Claim checks of the config: username, jwtId, keyId, customClaims, clock skew")
    func claimChecks() async throws {
        let fixture = try await JWTFixture.make()
        let validator = #"""
            username = "alice"
            jwtId = "id-1"
            keyId = "k1"
            clockSkewInSeconds = 60
            customClaims = { tenant = "acme", level = 3 }
            """#
        let base: [String: any Sendable] = JWTFixture.claims(extra: ["jti": "id-1", "tenant": "acme", "level": 3])
        let specs: [(Int, [String: any Sendable])] = [
            (200, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base]),
            (200, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["exp": "now-30"]) { $1 }]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["exp": "now-90"]) { $1 }]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k2", "claims": base]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["sub": "bob"]) { $1 }]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["jti": "id-2"]) { $1 }]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["tenant": "other"]) { $1 }]),
            (401, ["key": "rsa", "alg": "RS256", "kid": "k1", "claims": base.merging(["level": "3"]) { $1 }]),
        ]
        let tokens = try await fixture.tokens(specs.map(\.1))
        let log = LogCapture(level: .debug)
        let config = Self.config(signature: #"certFile = "\#(fixture.path("rsa.crt"))""#, validator: validator)
        try await GatewayHarness.run(config, logger: log.logger) { gateway in
            for (index, (status, spec)) in specs.enumerated() {
                let response = try await gateway.get("/api/x", headers: Self.bearer(tokens[index]))
                // Which case, and the gateway's reason for refusing it, when it fails.
                #expect(response.status == status, "case \(index): \(String(describing: spec["claims"]))\n\(log.text.suffix(600))")
            }
        }
    }

    @Test("A second request with the same token is a cache hit")
    func cacheHit() async throws {
        let fixture = try await JWTFixture.make()
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()])
        try await GatewayHarness.run(Self.config(signature: #"certFile = "\#(fixture.path("rsa.crt"))""#)) { gateway in
            try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
            try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_cache_lookups_total{cache="jwt",result="hit"} 1"#))
            #expect(metrics.contains(#"portcullis_cache_lookups_total{cache="jwt",result="miss"} 1"#))
            #expect(metrics.contains(#"portcullis_cache_entries{cache="jwt"} 1"#))
            // The estimate for one entry and its table: more than nothing, far less than 64 KiB.
            let bytes = metrics.split(separator: "\n").first { $0.hasPrefix(#"portcullis_cache_bytes{cache="jwt"} "#) }
            let estimate = bytes.flatMap { Double($0.split(separator: " ").last ?? "") }
            #expect(estimate.map { $0 > 0 && $0 < 64 * 1024 } == true, "\(String(describing: bytes))")
        }
    }

    // MARK: JWKS

    static func jwksConfig(port: Int, scheme: String = "http", clientConfig: String = "") -> String {
        Self.config(signature: #"jwksConfig = { url = "\#(scheme)://localhost:\#(port)/jwks.json"\#(clientConfig) }"#)
    }

    @Test("JWKS rotation: a new kid is accepted without restart; unknown kids cause one fetch")
    func jwksRotation() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let tokens = try await fixture.tokens(
            [
                ["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()],
                ["key": "ec", "alg": "ES256", "kid": "ec-1", "claims": JWTFixture.claims()],
                ["key": "rsa2", "alg": "RS256", "kid": "rsa-2", "claims": JWTFixture.claims()],
                // alg of the JWK is RS256 (PyJWT writes it); a PS256 token under that kid is refused.
                ["key": "ec", "alg": "ES256", "kid": "rsa-1", "claims": JWTFixture.claims()],
            ] + (0..<30).map { ["key": "rsa2", "alg": "RS256", "kid": "random-\($0)", "claims": JWTFixture.claims()] }
        )
        try await TestJWKSServer.run(state) { port in
            try await GatewayHarness.run(Self.jwksConfig(port: port)) { gateway in
                try await gateway.expect(200, "/api/x", headers: Self.bearer(tokens[0]))
                try await gateway.expect(200, "/api/x", headers: Self.bearer(tokens[1]))
                try await gateway.expect(401, "/api/x", headers: Self.bearer(tokens[3]))
                #expect(await state.fetches == 1)
                // The identity provider rotates in a new key: accepted on first sight, one fetch.
                await state.set(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks-next.json")))))
                try await gateway.expect(200, "/api/x", headers: Self.bearer(tokens[2]))
                #expect(await state.fetches == 2)
                // Thirty random kids: refused, and the rate limit keeps the IdP from seeing them.
                for token in tokens[4...] {
                    try await gateway.expect(401, "/api/x", headers: Self.bearer(token))
                }
                #expect(await state.fetches <= 3)
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="jwks",outcome="success"} 2"#))
            }
        }
    }

    @Test("JWKS down: known keys keep working, a token no known key decides gets 503")
    func jwksStaleIfError() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let tokens = try await fixture.tokens([
            ["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()],
            ["key": "rsa2", "alg": "RS256", "kid": "rsa-2", "claims": JWTFixture.claims()],
        ])
        try await TestJWKSServer.run(state) { port in
            try await GatewayHarness.run(Self.jwksConfig(port: port)) { gateway in
                await state.set(status: .serviceUnavailable)
                try await gateway.expect(200, "/api/x", headers: Self.bearer(tokens[0]))
                let undecidable = try await gateway.get("/api/x", headers: Self.bearer(tokens[1]))
                #expect(undecidable.status == 503)
                #expect(undecidable.headers["retry-after"].first != nil)
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="jwt",outcome="unavailable"} 1"#))
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="jwks",outcome="error"} 1"#))
            }
        }
    }

    @Test("A JWKS endpoint unreachable at start is not fatal: tokens get 503, not 401")
    func jwksUnreachableAtStart() async throws {
        let fixture = try await JWTFixture.make()
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()])
        try await GatewayHarness.run(Self.jwksConfig(port: try GatewayHarness.closedPort())) { gateway in
            try await gateway.expect(503, "/api/x", headers: Self.bearer(token))
            try await gateway.expect(401, "/api/x")
        }
    }

    @Test("Single-flight: 100 concurrent requests with one new token over a slow JWKS make one fetch")
    func jwksSingleFlight() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let token = try await fixture.token(["key": "rsa2", "alg": "RS256", "kid": "rsa-2", "claims": JWTFixture.claims()])
        try await TestJWKSServer.run(state) { port in
            try await GatewayHarness.run(Self.jwksConfig(port: port)) { gateway in
                #expect(await state.fetches == 1)
                await state.set(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks-next.json")))))
                let gate = Gate()
                await state.hold(gate)
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<100 {
                        group.addTask { try await gateway.get("/api/x", headers: Self.bearer(token)).status }
                    }
                    // Let the held fetch go only once it has arrived; every request is queued behind it.
                    await gate.waitForArrivals(1)
                    await gate.open()
                    var statuses: [Int] = []
                    for try await status in group { statuses.append(status) }
                    #expect(statuses.count == 100)
                    #expect(statuses.allSatisfy { $0 == 200 })
                }
                #expect(await state.fetches == 2)
            }
        }
    }

    @Test("JWKS over HTTPS trusted through a custom CA (clientConfig.secureSocket.cert)")
    func jwksOverHTTPS() async throws {
        let fixture = try await JWTFixture.make()
        let pki = try TestPKI()
        let ca = try pki.authority("ca")
        try pki.server("server", issuer: ca)
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()])
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.path("server.crt")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.path("server.key"), format: .pem))
        )
        try await TestJWKSServer.run(state, server: try .tls(.http1(), tlsConfiguration: tls)) { port in
            let trusted = Self.jwksConfig(port: port, scheme: "https", clientConfig: #", clientConfig = { secureSocket = { cert = "\#(pki.path("ca.crt"))" } }"#)
            try await GatewayHarness.run(trusted) { gateway in
                try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
            }
            // Without the CA the system roots do not trust the server: no keys, so 503.
            try await GatewayHarness.run(Self.jwksConfig(port: port, scheme: "https")) { gateway in
                try await gateway.expect(503, "/api/x", headers: Self.bearer(token))
            }
        }
    }

    @Test("JWKS behind OAuth2: clientConfig.auth as a client credentials grant; the key server checks the gateway's token with the authorization server")
    func jwksWithGrant() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()])
        try await OAuth2Server.run { server in
            // The key server answers only a bearer token the authorization server says is active.
            await state.require { header in
                guard let header, header.hasPrefix("Bearer ") else { return false }
                return (try? await server.introspect(String(header.dropFirst(7))).active) ?? false
            }
            try await TestJWKSServer.run(state) { port in
                let grant = #", clientConfig = { auth = { tokenUrl = "\#(server.tokenURL)", clientId = "\#(OAuth2Server.gateway.id)", clientSecret = "\#(OAuth2Server.gateway.secret)", scopes = ["read"] } }"#
                try await GatewayHarness.run(Self.jwksConfig(port: port, clientConfig: grant)) { gateway in
                    try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
                    let metrics = try await gateway.metrics()
                    #expect(metrics.contains(#"portcullis_idp_requests_total{kind="token",outcome="success"} 1"#))
                    #expect(metrics.contains(#"portcullis_idp_requests_total{kind="jwks",outcome="success"} 1"#))
                }
                // Without it the key server refuses the gateway: no keys, so 503.
                try await GatewayHarness.run(Self.jwksConfig(port: port)) { gateway in
                    try await gateway.expect(503, "/api/x", headers: Self.bearer(token))
                }
            }
            #expect(try await server.tokenRequests() == ["client_credentials": 1])
        }
    }
}
