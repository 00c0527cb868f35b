import Testing

@testable import PortcullisConfig

/// `jwtValidatorConfig` read from TOML: Ballerina's field names, old and new, and every mistake
/// refused at its line.
@Suite("JWT config")
struct JWTConfigTests {
    private func parse(_ auth: String) throws -> GatewayConfig {
        try ConfigLoader.parse(
            """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
            \(auth)
            """,
            file: "jwt.toml"
        )
    }

    private func diagnostics(_ auth: String) -> [String] {
        collectDiagnostics { try self.parse(auth) }
    }

    @Test("every field is read, with clockSkew, a string audience and a JWKS with its client settings")
    func fields() throws {
        let config = try self.parse(
            #"""
              scopes = "read"
              [service.auth.jwtValidatorConfig]
              issuer = "wso2"
              audience = "ballerina"
              username = "alice"
              jwtId = "j1"
              keyId = "k1"
              clockSkew = 30
              scopeKey = "scp"
              customClaims = { tenant = "acme", level = 3, tags = ["a"] }
              cacheConfig = { capacity = 0 }
              [service.auth.jwtValidatorConfig.signatureConfig]
              jwksConfig = { url = "https://idp.example.com/jwks", cacheConfig = { capacity = 8, defaultMaxAge = 120 }, clientConfig = { connectTimeout = 2, customHeaders = { x-tenant = "acme" } } }
            """#
        )
        guard case .jwt(let validator) = config.services[0].auth[0].method else {
            Issue.record("not a JWT entry")
            return
        }
        #expect(validator.issuer == "wso2")
        #expect(validator.audience == ["ballerina"])
        #expect(validator.clockSkewSeconds == 30)
        #expect(validator.scopeKey == "scp")
        #expect(validator.customClaims == ["tenant": .string("acme"), "level": .number(3), "tags": .array([.string("a")])])
        #expect(validator.cache.capacity == 0)
        guard case .jwks(let jwks) = validator.signature else {
            Issue.record("not a JWKS source")
            return
        }
        #expect(jwks.url == "https://idp.example.com/jwks")
        #expect(jwks.capacity == 8 && jwks.refreshIntervalSeconds == 120)
        #expect(jwks.client.connectTimeoutSeconds == 2)
        #expect(jwks.client.customHeaders == ["x-tenant": "acme"])
    }

    @Test("mistakes are refused with their line and key path")
    func mistakes() {
        let noSource = self.diagnostics("  [service.auth.jwtValidatorConfig]\n  issuer = \"x\"")
        #expect(noSource == [
            "jwt.toml:5: service[0].auth[0].jwtValidatorConfig: needs signatureConfig with one of certFile, publicKey, trustStoreConfig, jwksConfig, secret (unsigned tokens are never accepted)"
        ])
        let twoSources = self.diagnostics(
            "  [service.auth.jwtValidatorConfig.signatureConfig]\n  secret = \"0123456789abcdef0123456789abcdef\"\n  jwksConfig = { url = \"https://idp/jwks\" }"
        )
        #expect(twoSources.contains(
            "jwt.toml:6: service[0].auth[0].jwtValidatorConfig.signatureConfig.secret: a JWT validator takes exactly one key source; found jwksConfig and secret"
        ))
        let badURL = self.diagnostics("  [service.auth.jwtValidatorConfig.signatureConfig]\n  jwksConfig = { url = \"ftp://idp/jwks\" }")
        #expect(badURL == [
            "jwt.toml:6: service[0].auth[0].jwtValidatorConfig.signatureConfig.jwksConfig.url: \"ftp://idp/jwks\" must be an http:// or https:// URL with a host and no credentials"
        ])
        let badSkew = self.diagnostics(
            "  [service.auth.jwtValidatorConfig]\n  clockSkewInSeconds = -1\n  audience = []\n  [service.auth.jwtValidatorConfig.signatureConfig]\n  secret = \"\""
        )
        #expect(badSkew.contains("jwt.toml:6: service[0].auth[0].jwtValidatorConfig.clockSkewInSeconds: must be between 0 and 3600 seconds"))
        #expect(badSkew.contains("jwt.toml:7: service[0].auth[0].jwtValidatorConfig.audience: must be a non-empty string or array of strings"))
        #expect(badSkew.contains("jwt.toml:9: service[0].auth[0].jwtValidatorConfig.signatureConfig.secret: must not be empty"))
    }

    @Test("publicKey takes an inline PEM; the quickstart's development key is warned about, anything else not PEM refused")
    func inlinePublicKey() throws {
        let config = try self.parse(
            "  [service.auth.jwtValidatorConfig.signatureConfig]\n  publicKey = \"\"\"\n\(QuickstartDevelopmentKey.publicKeyPEM)\n\"\"\""
        )
        guard case .jwt(let validator) = config.services.first?.auth.first?.method, case .publicKey(let pem, _) = validator.signature else {
            Issue.record("not an inline public key")
            return
        }
        #expect(pem.contains(QuickstartDevelopmentKey.publicKeyPEM))
        #expect(config.warnings.map(\.description) == [
            "jwt.toml:6: service[0].auth[0].jwtValidatorConfig.signatureConfig.publicKey: is the quickstart's public development key: anyone can mint tokens it accepts"
        ])
        #expect(self.diagnostics("  [service.auth.jwtValidatorConfig.signatureConfig]\n  publicKey = \"MIIB...\"") == [
            "jwt.toml:6: service[0].auth[0].jwtValidatorConfig.signatureConfig.publicKey: must hold a PEM public key or certificate (-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----)"
        ])
        // The quickstart itself trusts the key without a warning.
        #expect(ConfigLoader.quickstart().warnings.isEmpty)
    }
}
