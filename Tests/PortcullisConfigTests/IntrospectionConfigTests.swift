import Testing

@testable import PortcullisConfig

/// `oauth2IntrospectionConfig` read from TOML: Ballerina's field names, the gateway's own client
/// credentials, and every mistake refused at its line.
@Suite("Introspection config")
struct IntrospectionConfigTests {
    private func parse(_ record: String) throws -> GatewayConfig {
        try ConfigLoader.parse(
            """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              scopes = ["admin"]
              [service.auth.oauth2IntrospectionConfig]
            \(record)
            """,
            file: "introspect.toml"
        )
    }

    private func introspection(_ record: String) throws -> (IntrospectionConfig, [String]) {
        let config = try self.parse(record)
        guard case .introspection(let introspection) = try #require(config.services.first?.auth.first).method else {
            throw ConfigError(diagnostics: [])
        }
        return (introspection, config.warnings.map(\.description))
    }

    private func diagnostics(_ record: String) -> [String] {
        collectDiagnostics { try self.parse(record) }
    }

    @Test("every field of the contract's example is read")
    func fields() throws {
        let (config, warnings) = try self.introspection(
            #"""
              url = "https://idp.example.com/oauth2/introspect"
              tokenTypeHint = "access_token"
              scopeKey = "scp"
              defaultTokenExpTimeInSeconds = 600
              optionalParams = { resource = "orders", audience = "api" }
              cacheConfig = { capacity = 50, defaultMaxAge = 120 }
              inactiveTokenCacheTimeInSeconds = 2
              clientConfig = { auth = { username = "gw", password = "s3cret" }, customHeaders = { x-tenant = "acme" }, connectTimeout = 2, reqTimeout = 3 }
            """#
        )
        #expect(config.url == "https://idp.example.com/oauth2/introspect")
        #expect(config.tokenTypeHint == "access_token")
        #expect(config.scopeKey == "scp")
        #expect(config.defaultTokenExpTimeSeconds == 600)
        #expect(config.optionalParams == ["resource": "orders", "audience": "api"])
        #expect(config.cache == CacheSettingsConfig(capacity: 50, maxAgeSeconds: 120))
        #expect(config.inactiveCacheSeconds == 2)
        #expect(config.client.auth == .basic(username: "gw", password: "s3cret"))
        #expect(config.client.customHeaders == ["x-tenant": "acme"])
        #expect(config.client.connectTimeoutSeconds == 2 && config.client.requestTimeoutSeconds == 3)
        #expect(warnings.isEmpty)
    }

    @Test("defaults: scope key, an hour without exp, answers kept until exp, inactive ones 5 s; plain HTTP and no auth warned about")
    func defaults() throws {
        let (config, warnings) = try self.introspection(#"  url = "http://127.0.0.1:9000/o/introspect/""#)
        #expect(config.scopeKey == "scope")
        #expect(config.tokenTypeHint == nil)
        #expect(config.defaultTokenExpTimeSeconds == 3600)
        #expect(config.cache.capacity == 10_000 && config.cache.maxAgeSeconds == .infinity)
        #expect(config.inactiveCacheSeconds == 5)
        #expect(config.client.auth == nil)
        #expect(warnings == [
            "introspect.toml:7: service[0].auth[0].oauth2IntrospectionConfig.url: sends bearer tokens over plain HTTP; anyone on the network path can read and replay them",
            "introspect.toml:6: service[0].auth[0].oauth2IntrospectionConfig.clientConfig: has no auth: most authorization servers refuse introspection from an unauthenticated client (RFC 7662 §2.1)",
        ])
    }

    @Test("a bearer token authenticates the gateway; Ballerina's defaultTokenExpTime is read too")
    func bearerAuth() throws {
        let (config, _) = try self.introspection(
            #"""
              url = "https://idp/introspect"
              defaultTokenExpTime = 60
              clientConfig = { auth = { token = "abc.def" } }
            """#
        )
        #expect(config.client.auth == .bearer(token: "abc.def"))
        #expect(config.defaultTokenExpTimeSeconds == 60)
        // The secret never shows in a description.
        #expect("\(IdentityProviderClientAuth.basic(username: "gw", password: "s3cret"))" == "Basic credentials of gw")
        #expect(!"\(config.client.auth!)".contains("abc.def"))
    }

    @Test("an OAuth2 grant authenticates the gateway, as Ballerina's clientConfig.auth does")
    func grantAuth() throws {
        let (config, warnings) = try self.introspection(
            #"""
              url = "https://idp/introspect"
              clientConfig = { auth = { tokenUrl = "https://idp/token", clientId = "rs", clientSecret = "s3cret", scopes = ["introspection"] } }
            """#
        )
        #expect(config.client.auth == .oauth2(OAuth2GrantConfig(
            grant: .clientCredentials,
            endpoint: OAuth2TokenEndpointConfig(url: "https://idp/token", clientID: "rs", clientSecret: "s3cret", scopes: ["introspection"])
        )))
        #expect(warnings.isEmpty)
        #expect(!"\(config.client.auth!)".contains("s3cret"))
    }

    @Test("mistakes are refused with their line and key path")
    func mistakes() {
        #expect(self.diagnostics("  tokenTypeHint = \"access_token\"") == [
            "introspect.toml:6: service[0].auth[0].oauth2IntrospectionConfig.url: is required"
        ])
        let found = self.diagnostics(
            #"""
              url = "https://idp/introspect"
              tokenTypeHint = ""
              scopeKey = ""
              optionalParams = { token = "x", resource = 3 }
              defaultTokenExpTime = 0
              inactiveTokenCacheTimeInSeconds = 600
              cacheConfig = { capacity = -1 }
              clientConfig = { auth = { username = "gw", password = "" } }
            """#
        )
        #expect(found == [
            "introspect.toml:8: service[0].auth[0].oauth2IntrospectionConfig.tokenTypeHint: must not be empty; remove the key to skip the check",
            "introspect.toml:9: service[0].auth[0].oauth2IntrospectionConfig.scopeKey: must not be empty",
            "introspect.toml:10: service[0].auth[0].oauth2IntrospectionConfig.optionalParams.resource: must be a string, not an integer",
            "introspect.toml:10: service[0].auth[0].oauth2IntrospectionConfig.optionalParams.token: is set by the gateway itself (token, token_type_hint: use tokenTypeHint)",
            "introspect.toml:11: service[0].auth[0].oauth2IntrospectionConfig.defaultTokenExpTime: must be greater than 0",
            "introspect.toml:12: service[0].auth[0].oauth2IntrospectionConfig.inactiveTokenCacheTimeInSeconds: must be at most 300 seconds: a token that becomes active would be refused that long",
            "introspect.toml:13: service[0].auth[0].oauth2IntrospectionConfig.cacheConfig.capacity: must be between 0 (no cache) and 10000000",
            "introspect.toml:14: service[0].auth[0].oauth2IntrospectionConfig.clientConfig.auth.password: must not be empty",
        ])
        #expect(self.diagnostics(#"  url = "https://idp/i"\#n  clientConfig = { auth = { tokenUrl = "https://idp/token", clientId = "a" } }"#) == [
            "introspect.toml:8: service[0].auth[0].oauth2IntrospectionConfig.clientConfig.auth.clientSecret: is required with clientId"
        ])
        #expect(self.diagnostics(#"  url = "https://idp/i"\#n  clientConfig = { auth = { username = "gw" } }"#) == [
            "introspect.toml:8: service[0].auth[0].oauth2IntrospectionConfig.clientConfig.auth.password: is required"
        ])
        #expect(self.diagnostics(#"  url = "https://idp/i"\#n  clientConfig = { auth = { token = "a b" } }"#) == [
            "introspect.toml:8: service[0].auth[0].oauth2IntrospectionConfig.clientConfig.auth.token: must be a non-empty token of printable ASCII without spaces"
        ])
        #expect(self.diagnostics(
            #"  url = "https://idp/i"\#n  clientConfig = { auth = { token = "t" }, customHeaders = { Authorization = "Basic eA==" } }"#
        ) == [
            "introspect.toml:8: service[0].auth[0].oauth2IntrospectionConfig.clientConfig.auth: give auth or an Authorization custom header, not both"
        ])
    }

    @Test("the JWKS client takes auth too (Ballerina's clientConfig.auth): a bearer token here")
    func jwksClientAuth() throws {
        let config = try ConfigLoader.parse(
            #"""
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              [service.auth.jwtValidatorConfig.signatureConfig]
              jwksConfig = { url = "https://idp/jwks", clientConfig = { auth = { token = "t" } } }
            """#,
            file: "jwks.toml"
        )
        guard case .jwt(let validator) = try #require(config.services.first?.auth.first).method, case .jwks(let jwks) = validator.signature else {
            Issue.record("not a JWKS validator")
            return
        }
        #expect(jwks.client.auth == .bearer(token: "t"))
    }
}
