import Testing

@testable import PortcullisConfig

/// `[forwardAuth]`: the decision endpoint's paths, and services without an upstream.
@Suite("Forward-auth config")
struct ForwardAuthConfigTests {
    private func diagnostics(_ source: String) -> [String] {
        collectDiagnostics { try ConfigLoader.parse(source, file: "fa.toml") }
    }

    @Test("absent: no decision endpoint; present: the default path, a prefix when given")
    func defaults() throws {
        let service = """
            [[service]]
            basePath = "/api"
            upstream = "http://127.0.0.1:8080"
            """
        #expect(try ConfigLoader.parse(service, file: "fa.toml").forwardAuth == nil)
        let plain = try ConfigLoader.parse("[forwardAuth]\n" + service, file: "fa.toml")
        #expect(plain.forwardAuth == ForwardAuthConfig(path: "/_portcullis/auth", pathPrefix: nil))
        let both = try ConfigLoader.parse(
            """
            [forwardAuth]
            path = "/auth/check"
            pathPrefix = "/ext_authz/"
            \(service)
            """,
            file: "fa.toml"
        )
        #expect(both.forwardAuth == ForwardAuthConfig(path: "/auth/check", pathPrefix: "/ext_authz"))
    }

    @Test("with [forwardAuth], a service or resource may have no upstream; without it, not")
    func servicesWithoutUpstream() throws {
        let decisionsOnly = """
            [[ballerina.auth.users]]
            username = "alice"
            password = "@sha256:4e40e8ffe0ee32fa53e139147ed559229a5930f89c2204706fc174beb36210b3"
            [[service]]
            name = "orders"
            basePath = "/orders"
              [[service.auth]]
              fileUserStoreConfig = {}
            [[service]]
            name = "shop"
            basePath = "/shop"
              [[service.resource]]
              path = "/items/**"
              [[service.resource]]
              path = "/hello"
              respond = { status = 200, body = "hi" }
            """
        let config = try ConfigLoader.parse("[forwardAuth]\n" + decisionsOnly, file: "fa.toml")
        #expect(config.services.map(\.name) == ["orders", "shop"])
        #expect(config.services.allSatisfy { $0.upstream == nil })
        let found = self.diagnostics(decisionsOnly)
        #expect(
            found.contains(
                "fa.toml:4: service[0]: needs an upstream, or resources that respond (or [forwardAuth], for a service that only serves decisions)"
            )
        )
        #expect(
            found.contains(
                "fa.toml:12: service[1].resource[0]: needs respond, since the service has no upstream (or [forwardAuth], for a resource that only serves decisions)"
            )
        )
    }

    @Test("bad paths are refused at their line")
    func badPaths() {
        let service = """
            [[service]]
            basePath = "/api"
            upstream = "http://127.0.0.1:8080"
            """
        func refused(_ table: String) -> [String] { self.diagnostics("[forwardAuth]\n" + table + "\n" + service) }
        #expect(refused(#"path = "/""#) == ["fa.toml:2: forwardAuth.path: must not be / (it would shadow every service at /)"])
        #expect(
            refused(#"path = "auth""#)
                == [#"fa.toml:2: forwardAuth.path: "auth" must be a path starting with / (letters, digits, - _ . ~ and /; no query)"#]
        )
        #expect(refused(#"path = "/auth?x=1""#).count == 1)
        #expect(refused(#"path = "/a/../b""#).count == 1)
        #expect(refused(#"path = "/a//b""#).count == 1)
        #expect(refused(#"pathPrefix = "/""#) == ["fa.toml:2: forwardAuth.pathPrefix: must not be / (every request would be a decision)"])
        #expect(
            refused("path = \"/check/auth\"\npathPrefix = \"/check\"")
                == ["fa.toml:3: forwardAuth.pathPrefix: must not contain forwardAuth.path (/check/auth)"]
        )
        #expect(refused(#"colour = "blue""#) == ["fa.toml:2: forwardAuth.colour: unknown key"])
    }
}
