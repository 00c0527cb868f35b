import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortcullisGateway
import Testing
import PortcullisTestSupport

/// `[forwardAuth]`: Portcullis as the decision service of a proxy in front, over real HTTP on
/// loopback — direct calls as Traefik and Envoy make them, and a real nginx with `auth_request`.
@Suite("Gateway forward auth")
struct GatewayForwardAuthTests {
    /// Services judged for a proxy: `api` has an upstream that refuses connections (a decision
    /// that proxied would be a 502), `orders` has none.
    static let config = """
        [listener]
        port = 0
        [metrics]
        port = 0
        [forwardAuth]
        pathPrefix = "/_portcullis/ext_authz"

        \(GatewayConfigs.users)

        [[service]]
        name = "api"
        basePath = "/api"
        upstream = "DOWN"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["write"]

        [[service]]
        name = "orders"
        basePath = "/orders"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]
          [[service.resource]]
          path = "/public/**"
          auth = []
          [[service.resource]]
          methods = ["GET", "DELETE"]
          path = "/**"
          [[service.resource]]
          path = "/hello"
          respond = { status = 200, body = "hello" }
        """

    static func basic(_ user: String) -> (String, String) {
        GatewayPolicyTests.basic(user, user + "123")
    }

    /// The headers Traefik's ForwardAuth sends about the original request.
    static func traefik(_ method: String, _ uri: String) -> [(String, String)] {
        [("X-Forwarded-Method", method), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example.com"), ("X-Forwarded-Uri", uri)]
    }

    @Test("Traefik-style calls: 200 with the identity headers, 401 with the challenge, 403, 404, 405; nothing is proxied")
    func traefikStyle() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let anonymous = try await gateway.get("/_portcullis/auth", headers: Self.traefik("GET", "/api/orders"))
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"] == [#"Basic realm="portcullis""#])
            #expect(anonymous.headers["content-length"] == ["0"])
            #expect(anonymous.body.isEmpty)

            // The upstream refuses connections: a 200 here was decided, not proxied.
            let allowed = try await gateway.get("/_portcullis/auth", headers: Self.traefik("POST", "/api/orders?id=7") + [Self.basic("alice")])
            #expect(allowed.status == 200)
            #expect(allowed.headers["x-auth-subject"] == ["alice"])
            #expect(allowed.headers["x-auth-scopes"] == ["write update"])
            #expect(allowed.headers["x-auth-method"] == ["basic_file"])
            #expect(allowed.headers["content-length"] == ["0"])
            #expect(allowed.body.isEmpty)

            let forbidden = try await gateway.get("/_portcullis/auth", headers: Self.traefik("GET", "/api/orders") + [Self.basic("bob")])
            #expect(forbidden.status == 403)
            #expect(forbidden.headers["x-auth-subject"].isEmpty)

            // A public resource: allowed without credentials, no identity.
            let publicPath = try await gateway.get("/_portcullis/auth", headers: Self.traefik("PUT", "/orders/public/a"))
            #expect(publicPath.status == 200)
            #expect(publicPath.headers["x-auth-subject"].isEmpty)
            // A service without upstream is judged like any other; its methods count.
            let bob = try await gateway.get("/_portcullis/auth", headers: Self.traefik("DELETE", "/orders/7") + [Self.basic("bob")])
            #expect(bob.status == 200)
            #expect(bob.headers["x-auth-subject"] == ["bob"])
            let wrongMethod = try await gateway.get("/_portcullis/auth", headers: Self.traefik("POST", "/orders/7") + [Self.basic("bob")])
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == ["DELETE, GET"])
            try await gateway.expect(404, "/_portcullis/auth", headers: Self.traefik("GET", "/nowhere") + [Self.basic("alice")])
        }
    }

    @Test("refused with 400, never allowed: no original request, conflicting conventions, an ambiguous path")
    func failsClosed() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            try await gateway.expect(400, "/_portcullis/auth", headers: [Self.basic("alice")])
            // A client behind Traefik adds an X-Original-URI naming a public path.
            try await gateway.expect(
                400,
                "/_portcullis/auth",
                headers: Self.traefik("GET", "/api/orders") + [("X-Original-URI", "/orders/public/x")]
            )
            try await gateway.expect(400, "/_portcullis/auth", headers: Self.traefik("GET", "/orders/public/../../api/x"))
            try await gateway.expect(400, "/_portcullis/auth", headers: Self.traefik("GET", "/orders/public/%2e%2e/x"))
            try await gateway.expect(400, "/_portcullis/auth", headers: [("X-Original-URL", "/api/x")])
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_forward_auth_decisions_total{service="unmatched",outcome="invalid"} 5"#))
        }
    }

    @Test("nginx-style X-Original-* and ingress-nginx's X-Original-URL name the request too")
    func nginxHeaders() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let headers = [("X-Original-URI", "/api/orders"), ("X-Original-Method", "GET")]
            try await gateway.expect(401, "/_portcullis/auth", headers: headers)
            try await gateway.expect(200, "/_portcullis/auth", headers: headers + [Self.basic("alice")])
            let ingress = [("X-Original-URL", "https://shop.example.com/orders/7?x=1"), ("X-Original-Method", "GET")]
            try await gateway.expect(200, "/_portcullis/auth", headers: ingress + [Self.basic("bob")])
            try await gateway.expect(403, "/_portcullis/auth", headers: ingress + [Self.basic("eve")])
        }
    }

    @Test("Envoy ext_authz: the path below the prefix is judged with the request's own method")
    func envoyPrefix() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let allowed = try await gateway.get("/_portcullis/ext_authz/api/orders", headers: [Self.basic("alice")], method: .POST)
            #expect(allowed.status == 200)
            #expect(allowed.headers["x-auth-subject"] == ["alice"])
            try await gateway.expect(403, "/_portcullis/ext_authz/api/orders", headers: [Self.basic("bob")], method: .POST)
            try await gateway.expect(401, "/_portcullis/ext_authz/api/orders", method: .POST)
            try await gateway.expect(200, "/_portcullis/ext_authz/orders/9", headers: [Self.basic("bob")], method: .DELETE)
            try await gateway.expect(405, "/_portcullis/ext_authz/orders/9", headers: [Self.basic("bob")], method: .PUT)
            try await gateway.expect(200, "/_portcullis/ext_authz/orders/public/x", method: .PUT)
        }
    }

    @Test("a decision does not read the request body: answered at once, then the connection closes")
    func noBodyRead() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            // Five bytes announced, none sent: a server that waited for them would not answer.
            let credentials = Self.basic("alice").1
            let request = "POST /_portcullis/ext_authz/api/x HTTP/1.1\r\nHost: a\r\nAuthorization: \(credentials)\r\nContent-Length: 5\r\n\r\n"
            let reply = try await RawHTTP.exchange(port: gateway.gatewayPort, request: Array(request.utf8))
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(reply.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(reply.contains("x-auth-subject: alice\r\n"))
        }
    }

    @Test("direct requests: a service without upstream answers 404 before auth; its respond resources still answer")
    func decisionOnlyServices() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            try await gateway.expect(404, "/orders/7")
            try await gateway.expect(404, "/orders/7", headers: [Self.basic("bob")])
            try await gateway.expect(401, "/orders/hello")
            let hello = try await gateway.get("/orders/hello", headers: [Self.basic("bob")])
            #expect(hello.status == 200)
            #expect(hello.text == "hello")
            // A service with an upstream is still a proxy for direct requests (here a refusing one).
            try await gateway.expect(502, "/api/orders", headers: [Self.basic("alice")])
        }
    }

    @Test("over HTTP/2 (TLS, ALPN) a decision carries the same identity headers")
    func http2() async throws {
        let pki = try GatewayTLSTests.makePKI()
        let toml = Self.config.replacingOccurrences(
            of: "[listener]\nport = 0\n",
            with: "[listener]\nport = 0\n[listener.secureSocket]\nkey = { certFile = \"\(pki.path("server.crt"))\", keyFile = \"\(pki.path("server.key"))\" }\n"
        )
        #expect(toml.contains("secureSocket"))
        try await GatewayHarness.run(toml) { gateway in
            let headers = ["-H", "X-Forwarded-Method: GET", "-H", "X-Forwarded-Uri: /api/x", "-D", "-"]
            let allowed = try await TLSClients.curl(gateway.base + "/_portcullis/auth", ca: pki.path("ca.crt"), ["--http2", "-u", "alice:alice123"] + headers)
            #expect(allowed.status == 200)
            #expect(allowed.httpVersion == "2")
            #expect(allowed.body.contains("x-auth-subject: alice\r\n"))
            #expect(allowed.body.contains("x-auth-scopes: write update\r\n"))
            let anonymous = try await TLSClients.curl(gateway.base + "/_portcullis/auth", ca: pki.path("ca.crt"), ["--http2"] + headers)
            #expect(anonymous.status == 401)
            #expect(anonymous.body.contains("www-authenticate: Basic realm=\"portcullis\"\r\n"))
        }
    }

    @Test("a reload adds or removes the decision endpoint")
    func reload() async throws {
        let without = Self.config.replacingOccurrences(of: "[forwardAuth]\npathPrefix = \"/_portcullis/ext_authz\"\n", with: "")
            .replacingOccurrences(of: "[[service]]\nname = \"orders\"", with: "[[service]]\nname = \"orders\"\nupstream = \"DOWN\"")
        #expect(!without.contains("forwardAuth"))
        try await GatewayHarness.run(without) { gateway in
            let traefik = Self.traefik("GET", "/api/x") + [Self.basic("alice")]
            // Without the endpoint, the path belongs to no service.
            try await gateway.expect(404, "/_portcullis/auth", headers: traefik)
            let added = await gateway.reload(Self.config)
            guard case .reloaded = added else {
                Issue.record("the reload adding [forwardAuth] was rejected: \(added)")
                return
            }
            try await gateway.expect(200, "/_portcullis/auth", headers: traefik)
            let removed = await gateway.reload(without)
            guard case .reloaded = removed else {
                Issue.record("the reload removing [forwardAuth] was rejected: \(removed)")
                return
            }
            try await gateway.expect(404, "/_portcullis/auth", headers: traefik)
        }
    }

    @Test("decisions are counted by service and outcome beside the usual auth metrics")
    func metrics() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            try await gateway.expect(200, "/_portcullis/auth", headers: Self.traefik("GET", "/api/x") + [Self.basic("alice")])
            try await gateway.expect(200, "/_portcullis/auth", headers: Self.traefik("GET", "/api/x") + [Self.basic("alice")])
            try await gateway.expect(401, "/_portcullis/auth", headers: Self.traefik("GET", "/api/x"))
            try await gateway.expect(403, "/_portcullis/ext_authz/api/x", headers: [Self.basic("bob")])
            try await gateway.expect(200, "/_portcullis/ext_authz/orders/public/x")
            try await gateway.expect(404, "/_portcullis/ext_authz/nowhere")
            try await gateway.expect(405, "/_portcullis/ext_authz/orders/1", method: .PATCH)
            let metrics = try await gateway.metrics()
            for series in [
                #"portcullis_forward_auth_decisions_total{service="api",outcome="allowed"} 2"#,
                #"portcullis_forward_auth_decisions_total{service="api",outcome="unauthenticated"} 1"#,
                #"portcullis_forward_auth_decisions_total{service="api",outcome="forbidden"} 1"#,
                #"portcullis_forward_auth_decisions_total{service="orders",outcome="allowed"} 1"#,
                #"portcullis_forward_auth_decisions_total{service="orders",outcome="method_not_allowed"} 1"#,
                #"portcullis_forward_auth_decisions_total{service="unmatched",outcome="not_found"} 1"#,
                #"portcullis_auth_decisions_total{service="api",auth="basic_file",outcome="allowed"} 2"#,
            ] {
                #expect(metrics.contains(series), "\(series)")
            }
        }
    }

    // MARK: Behind a real nginx

    /// The gateway serves decisions only; nginx asks it (`auth_request`) and proxies to the test
    /// upstream with the subject and scopes it was told (`auth_request_set`).
    static func nginxGatewayConfig(secret: String) -> String {
        """
        [listener]
        port = 0
        [forwardAuth]

        \(GatewayConfigs.users)

        [[service]]
        name = "api"
        basePath = "/api"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["write"]
          [[service.auth]]
          scopes = ["write"]
          [service.auth.jwtValidatorConfig]
          issuer = "test-issuer"
          audience = "portcullis"
          signatureConfig = { secret = "\(secret)" }
          [[service.resource]]
          path = "/public/**"
          auth = []
          [[service.resource]]
          path = "/**"
        """
    }

    /// The snippet docs/FORWARD_AUTH.md gives for nginx, with this test's ports.
    static func nginxServer(gatewayPort: Int, upstreamPort: Int) -> String {
        """
                location = /_portcullis_auth {
                    internal;
                    proxy_pass http://127.0.0.1:\(gatewayPort)/_portcullis/auth;
                    proxy_pass_request_body off;
                    proxy_set_header Content-Length "";
                    proxy_set_header X-Original-URI $request_uri;
                    proxy_set_header X-Original-Method $request_method;
                }
                location / {
                    auth_request /_portcullis_auth;
                    auth_request_set $auth_subject $upstream_http_x_auth_subject;
                    auth_request_set $auth_scopes $upstream_http_x_auth_scopes;
                    proxy_set_header X-Auth-Subject $auth_subject;
                    proxy_set_header X-Auth-Scopes $auth_scopes;
                    proxy_pass http://127.0.0.1:\(upstreamPort);
                }
        """
    }

    @Test("behind nginx auth_request: 401 with the challenge, 200 with the subject upstream, 403, public paths, JWT alike")
    func behindNginx() async throws {
        let secret = "a-shared-secret-of-at-least-32-bytes!"
        let fixture = try await JWTFixture.make()
        let tokens = try await fixture.tokens([
            ["key": "secret:\(secret)", "alg": "HS256", "claims": JWTFixture.claims(scope: "write")],
            ["key": "secret:\(secret)", "alg": "HS256", "claims": JWTFixture.claims(scope: "read")],
        ])
        try await GatewayHarness.run(Self.nginxGatewayConfig(secret: secret)) { gateway in
            try await NginxServer.run(server: Self.nginxServer(gatewayPort: gateway.gatewayPort, upstreamPort: gateway.upstreamPort)) { nginx in
                let base = "http://127.0.0.1:\(nginx.port)"
                func get(_ path: String, _ headers: [(String, String)] = []) async throws -> TestResponse {
                    var request = HTTPClientRequest(url: base + path)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    return try await TestResponse(GatewayHarness.client.execute(request, timeout: .seconds(30)))
                }
                let anonymous = try await get("/api/orders")
                #expect(anonymous.status == 401, "\(nginx.log().suffix(600))")
                // nginx 1.22 passes the first challenge on (the gateway sent Basic, then Bearer).
                #expect(anonymous.headers["www-authenticate"] == [#"Basic realm="portcullis""#])

                // The client's own X-Auth-Subject is replaced by the one the decision named.
                let alice = try await get("/api/orders?id=7", [Self.basic("alice"), ("X-Auth-Subject", "mallory")])
                #expect(alice.status == 200)
                let echoed = try alice.echoed()
                #expect(echoed.target == "/api/orders?id=7")
                #expect(echoed.header("x-auth-subject") == ["alice"])
                #expect(echoed.header("x-auth-scopes") == ["write update"])

                #expect(try await get("/api/orders", [Self.basic("bob")]).status == 403)
                #expect(try await get("/api/orders", [GatewayPolicyTests.basic("alice", "wrong")]).status == 401)

                let open = try await get("/api/public/readme", [("X-Auth-Subject", "mallory")])
                #expect(open.status == 200)
                #expect(try open.echoed().header("x-auth-subject").isEmpty)

                let jwt = try await get("/api/orders", [("Authorization", "Bearer \(tokens[0])")])
                #expect(jwt.status == 200)
                #expect(try jwt.echoed().header("x-auth-subject") == ["alice"])
                #expect(try await get("/api/orders", [("Authorization", "Bearer \(tokens[1])")]).status == 403)

                // A client's X-Forwarded-Uri naming a public path disagrees with nginx's
                // X-Original-URI: the decision is refused, and nginx answers 500, never the upstream.
                #expect(try await get("/api/orders", [("X-Forwarded-Uri", "/api/public/x")]).status == 500)
                #expect(try await get("/nowhere").status == 500)
            }
        }
    }
}
