import AsyncHTTPClient
import HTTPTypes
import NIOHTTP1
import Foundation
import NIOCore
import Testing
import PortcullisTestSupport

/// The metrics contract (§5) on the metrics listener, checked by Prometheus' own linter.
@Suite("Gateway metrics")
struct GatewayMetricsTests {
    @Test("the exposition passes promtool check metrics and counts what happened")
    func exposition() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            _ = try await gateway.get("/api/x")
            _ = try await gateway.get("/api/x", headers: [GatewayPolicyTests.basic("bob", "bob123")])
            _ = try await gateway.get("/api/x", headers: [GatewayPolicyTests.basic("alice", "alice123")])
            _ = try await gateway.get("/api/x", headers: [GatewayPolicyTests.basic("alice", "alice123")])
            _ = try await gateway.get("/nowhere")
            _ = try await gateway.get("/down/x")

            let text = try await gateway.metrics()
            let expected = [
                #"portcullis_requests_total{service="api",method="GET",code="401"} 1"#,
                #"portcullis_requests_total{service="api",method="GET",code="403"} 1"#,
                #"portcullis_requests_total{service="api",method="GET",code="200"} 2"#,
                #"portcullis_requests_total{service="unmatched",method="GET",code="404"} 1"#,
                #"portcullis_requests_total{service="down",method="GET",code="502"} 1"#,
                #"portcullis_auth_decisions_total{service="api",auth="basic_file",outcome="unauthenticated"} 1"#,
                #"portcullis_auth_decisions_total{service="api",auth="basic_file",outcome="forbidden"} 1"#,
                #"portcullis_auth_decisions_total{service="api",auth="basic_file",outcome="allowed"} 2"#,
                #"portcullis_cache_lookups_total{cache="basic_file",result="hit"} 1"#,
                #"portcullis_cache_lookups_total{cache="basic_file",result="miss"} 2"#,
                #"portcullis_cache_entries{cache="basic_file"} 2.0"#,
                #"portcullis_auth_duration_seconds_count{auth="basic_file"} 3"#,
                #"portcullis_upstream_duration_seconds_count{service="api"} 2"#,
                #"portcullis_request_duration_seconds_count{service="api"} 4"#,
            ]
            for line in expected {
                #expect(text.contains(line + "\n"), "missing: \(line)")
            }
            for name in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"] {
                #expect(text.contains("\n\(name) "), "missing: \(name)")
            }
            // Labels never carry user names or paths.
            #expect(!text.contains("alice") && !text.contains("bob"))
            #expect(!text.contains("/api/x") && !text.contains("nowhere"))

            let (status, output) = try await Self.promtool(text)
            #expect(status == 0, "promtool: \(output)")
        }
    }

    /// Status and body of `path` on the metrics listener.
    static func probe(_ gateway: GatewayHarness.Context, _ path: String) async throws -> (Int, String) {
        let port = try #require(gateway.metricsPort)
        let response = try await GatewayHarness.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 65536)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test("/livez answers 200; /readyz 200 once the listener accepts")
    func health() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let live = try await Self.probe(gateway, "/livez")
            #expect(live.0 == 200)
            #expect(live.1.contains(#""status":"live""#))
            let ready = try await Self.probe(gateway, "/readyz")
            #expect(ready.0 == 200, "\(ready.1)")
            #expect(ready.1.contains(#""status":"ready""#))
        }
    }

    @Test("/readyz is 503 naming a JWKS source that has no keys; /livez stays 200")
    func notReadyWithoutKeys() async throws {
        let config = GatewayJWTTests.config(signature: #"jwksConfig = { url = "http://127.0.0.1:1/jwks.json", clientConfig = { connectTimeout = 1 } }"#)
        try await GatewayHarness.run(config) { gateway in
            let ready = try await Self.probe(gateway, "/readyz")
            #expect(ready.0 == 503)
            #expect(ready.1.contains(#""status":"not ready""#), "\(ready.1)")
            #expect(ready.1.contains("jwks http://127.0.0.1:1/jwks.json: no keys"), "\(ready.1)")
            #expect(try await Self.probe(gateway, "/livez").0 == 200)
        }
    }

    @Test("the metrics listener answers only its path")
    func otherPaths() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let port = try #require(gateway.metricsPort)
            let response = try await GatewayHarness.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/other"), timeout: .seconds(30))
            #expect(response.status.code == 404)
        }
    }

    /// Runs `promtool check metrics` (Debian package `prometheus`) on `text`: its status and output.
    static func promtool(_ text: String) async throws -> (Int32, String) {
        let result = try await ExternalTool.runAsync("promtool", ["check", "metrics"], input: text)
        return (result.status, result.stdout + result.stderr)
    }
}

extension GatewayMetricsTests {
    @Test("/readyz: 503 while a JWKS source has never fetched, 200 once a fetch succeeded, 503 again while draining")
    func readinessFollowsKeysAndDrain() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        await state.set(status: .serviceUnavailable)
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()])
        try await TestJWKSServer.run(state) { port in
            let toml = """
                [listener]
                port = 0
                shutdownTimeoutSeconds = 20
                [metrics]
                port = 0

                [[service]]
                name = "api"
                basePath = "/api"
                upstream = "UPSTREAM"
                  [[service.auth]]
                  scopes = ["read"]
                  [service.auth.jwtValidatorConfig]
                  issuer = "test-issuer"
                  audience = "portcullis"
                  signatureConfig = { jwksConfig = { url = "http://localhost:\(port)/jwks.json" } }

                [[service]]
                name = "held"
                basePath = "/hold"
                upstream = "UPSTREAM"
                auth = []
                """
            try await GatewayHarness.run(toml) { gateway in
                let cold = try await Self.probe(gateway, "/readyz")
                #expect(cold.0 == 503)
                #expect(cold.1.contains("jwks http://localhost:\(port)/jwks.json: no keys"), "\(cold.1)")
                // The provider recovers; a token with an unknown kid makes the source fetch.
                await state.set(status: .ok)
                try await gateway.expect(200, "/api/x", headers: [("authorization", "Bearer \(token)")])
                let warm = try await Self.probe(gateway, "/readyz")
                #expect(warm.0 == 200, "\(warm.1)")

                // Draining: a request held at the upstream keeps the listener draining.
                async let held = gateway.get("/hold/x")
                await gateway.upstream.gate.waitForArrivals(1)
                await gateway.shutdown()
                // The shutdown reaches the gateway asynchronously: wait (bounded) until it drains.
                var draining = try await Self.probe(gateway, "/readyz")
                for _ in 0..<200 where draining.0 != 503 {
                    try await Task.sleep(for: .milliseconds(50))
                    draining = try await Self.probe(gateway, "/readyz")
                }
                #expect(draining.0 == 503)
                #expect(draining.1.contains("listener: draining"), "\(draining.1)")
                #expect(try await Self.probe(gateway, "/livez").0 == 200)
                await gateway.upstream.gate.open()
                #expect(try await held.status == 200)
            }
        }
    }
}
