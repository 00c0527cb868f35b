import NIOHTTP1
import PortcullisConfig
import Testing

@testable import PortcullisGateway

/// How the decision endpoint names the original request, and what it refuses to guess.
@Suite("Forward-auth endpoint")
struct ForwardAuthEndpointTests {
    let endpoint = ForwardAuthEndpoint(ForwardAuthConfig(path: "/_portcullis/auth", pathPrefix: "/_portcullis/ext_authz"))

    func classify(_ uri: String, _ headers: [(String, String)] = [], method: HTTPMethod = .GET) -> ForwardAuthEndpoint.Classification {
        self.endpoint.classify(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers)))
    }

    func decision(_ method: String, _ target: String) -> ForwardAuthEndpoint.Classification {
        .decision(ForwardAuthEndpoint.Original(method: method, target: target))
    }

    @Test("other requests are not decisions, whatever their headers")
    func notDecisions() {
        #expect(self.classify("/api/orders", [("x-original-uri", "/admin")]) == .notDecision)
        #expect(self.classify("/_portcullis/authx") == .notDecision)
        #expect(self.classify("/_portcullis/auth/more", [("x-original-uri", "/a")]) == .notDecision)
        #expect(self.classify("/_portcullis/ext_authzfoo/a") == .notDecision)
        #expect(self.classify("/_portcullis") == .notDecision)
    }

    @Test("nginx auth_request: X-Original-URI and X-Original-Method; the query of the decision path is ignored")
    func nginx() {
        #expect(
            self.classify("/_portcullis/auth", [("X-Original-URI", "/api/orders?id=7"), ("X-Original-Method", "POST")])
                == self.decision("POST", "/api/orders?id=7")
        )
        // Without a method header, the decision request's own method.
        #expect(self.classify("/_portcullis/auth?x=1", [("x-original-uri", "/a")], method: .HEAD) == self.decision("HEAD", "/a"))
    }

    @Test("ingress-nginx: X-Original-URL, absolute; Traefik: X-Forwarded-Uri and X-Forwarded-Method")
    func ingressAndTraefik() {
        #expect(
            self.classify("/_portcullis/auth", [("x-original-url", "https://shop.example.com/api/x?y=1#frag"), ("x-original-method", "GET")])
                == self.decision("GET", "/api/x?y=1")
        )
        #expect(self.classify("/_portcullis/auth", [("x-original-url", "HTTP://h.example")]) == self.decision("GET", "/"))
        #expect(self.classify("/_portcullis/auth", [("x-original-url", "http://h.example?q")]) == self.decision("GET", "/?q"))
        #expect(
            self.classify(
                "/_portcullis/auth",
                [("X-Forwarded-Method", "DELETE"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example.com"), ("X-Forwarded-Uri", "/api/orders/7")]
            ) == self.decision("DELETE", "/api/orders/7")
        )
    }

    @Test("headers of two conventions must agree: a client cannot add one its proxy does not overwrite")
    func conflicts() {
        // Behind Traefik, a client adds X-Original-URI; behind nginx, an X-Forwarded-Uri.
        #expect(
            self.classify("/_portcullis/auth", [("x-original-uri", "/public/x"), ("x-forwarded-uri", "/admin")])
                == .invalid(.conflicting("x-original-uri", "x-forwarded-uri"))
        )
        #expect(
            self.classify("/_portcullis/auth", [("x-original-uri", "/a"), ("x-original-method", "GET"), ("x-forwarded-method", "DELETE")])
                == .invalid(.conflicting("x-original-method", "x-forwarded-method"))
        )
        // The same request named twice is fine.
        #expect(
            self.classify("/_portcullis/auth", [("x-original-url", "http://h/a?b"), ("x-forwarded-uri", "/a?b")]) == self.decision("GET", "/a?b")
        )
    }

    @Test("refused: no original request, a repeated header, a relative X-Original-URL, a bad method")
    func refusals() {
        #expect(self.classify("/_portcullis/auth") == .invalid(.noOriginalRequest))
        #expect(self.classify("/_portcullis/auth", [("x-original-uri", "/a"), ("x-original-uri", "/b")]) == .invalid(.repeated("x-original-uri")))
        #expect(
            self.classify("/_portcullis/auth", [("x-forwarded-uri", "/a"), ("x-forwarded-method", "GET"), ("x-forwarded-method", "GET")])
                == .invalid(.repeated("x-forwarded-method"))
        )
        #expect(self.classify("/_portcullis/auth", [("x-original-url", "/a")]) == .invalid(.notAbsoluteURL))
        #expect(self.classify("/_portcullis/auth", [("x-original-url", "ftp://h/a")]) == .invalid(.notAbsoluteURL))
        #expect(self.classify("/_portcullis/auth", [("x-original-url", "http:///a")]) == .invalid(.notAbsoluteURL))
        #expect(
            self.classify("/_portcullis/auth", [("x-original-uri", "/a"), ("x-original-method", "GET /b")]) == .invalid(.invalidMethod("x-original-method"))
        )
        #expect(self.classify("/_portcullis/auth", [("x-original-uri", "/a"), ("x-original-method", "")]) == .invalid(.invalidMethod("x-original-method")))
    }

    @Test("Envoy ext_authz: the path after the prefix, with the request's own method; X- headers are not read")
    func envoyPrefix() {
        #expect(self.classify("/_portcullis/ext_authz/api/orders?id=7", method: .POST) == self.decision("POST", "/api/orders?id=7"))
        #expect(self.classify("/_portcullis/ext_authz") == self.decision("GET", "/"))
        #expect(self.classify("/_portcullis/ext_authz?q=1") == self.decision("GET", "/?q=1"))
        #expect(self.classify("/_portcullis/ext_authz/a", [("x-original-uri", "/public")]) == self.decision("GET", "/a"))
    }
}
