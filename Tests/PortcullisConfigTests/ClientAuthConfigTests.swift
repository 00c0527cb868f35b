import Foundation
import Testing

@testable import PortcullisConfig

/// `upstreamClient.auth`: Ballerina's client-auth records told apart by their fields, each read
/// with its aliases and defaults, and every ambiguous or incomplete one refused at its line.
@Suite("Client auth config")
struct ClientAuthConfigTests {
    private func parse(_ record: String) throws -> GatewayConfig {
        try ConfigLoader.parse(
            """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [service.upstreamClient.auth]
            \(record)
            """,
            file: "client.toml"
        )
    }

    private func auth(_ record: String) throws -> (ClientAuthConfig, [String]) {
        let config = try self.parse(record)
        return (try #require(config.services.first?.upstreamClient.auth), config.warnings.map(\.description))
    }

    private func diagnostics(_ record: String) -> [String] {
        collectDiagnostics { try self.parse(record) }
    }

    @Test("Basic and bearer records")
    func basicAndBearer() throws {
        #expect(try self.auth(#"  username = "gw"\#n  password = "s3cret""#).0 == .basic(username: "gw", password: "s3cret"))
        #expect(try self.auth(#"  token = "abc.def""#).0 == .bearer(token: "abc.def"))
        #expect("\(ClientAuthConfig.basic(username: "gw", password: "s3cret"))" == "Basic credentials of gw")
        #expect(!"\(ClientAuthConfig.bearer(token: "abc.def"))".contains("abc.def"))
    }

    @Test("the client credentials grant with every field; secrets never in descriptions")
    func clientCredentials() throws {
        let (auth, warnings) = try self.auth(
            #"""
              tokenUrl = "https://idp.example.com/oauth2/token"
              clientId = "gw"
              clientSecret = "s3cret"
              scopes = ["orders", "read"]
              defaultTokenExpTime = 600
              clockSkew = 10
              optionalParams = { audience = "orders-api" }
              credentialBearer = "POST_BODY_BEARER"
              clientConfig = { connectTimeout = 2, reqTimeout = 3, customHeaders = { x-tenant = "acme" } }
            """#
        )
        guard case .oauth2(let grant) = auth else {
            Issue.record("not an OAuth2 grant: \(auth)")
            return
        }
        #expect(grant.grant == .clientCredentials)
        #expect(grant.endpoint.url == "https://idp.example.com/oauth2/token")
        #expect(grant.endpoint.clientID == "gw" && grant.endpoint.clientSecret == "s3cret")
        #expect(grant.endpoint.scopes == ["orders", "read"])
        #expect(grant.endpoint.optionalParams == ["audience": "orders-api"])
        #expect(grant.endpoint.credentialBearer == .postBody)
        #expect(grant.endpoint.client.connectTimeoutSeconds == 2 && grant.endpoint.client.requestTimeoutSeconds == 3)
        #expect(grant.endpoint.client.customHeaders == ["x-tenant": "acme"])
        #expect(grant.defaultTokenExpTimeSeconds == 600 && grant.clockSkewSeconds == 10)
        #expect(grant.refresh == nil)
        #expect(warnings.isEmpty)
        #expect(!"\(auth)".contains("s3cret"))
    }

    @Test("customPayload: Ballerina's form string joins the token request's parameters; grant parameters and bad encodings are refused")
    func customPayload() throws {
        let (auth, _) = try self.auth(
            #"""
              tokenUrl = "https://idp.example.com/oauth2/token"
              clientId = "gw"
              clientSecret = "s3cret"
              optionalParams = { tenant = "acme" }
              customPayload = "audience=orders-api&resource=urn%3Aorders&note=a+b"
            """#
        )
        guard case .oauth2(let grant) = auth else {
            Issue.record("not an OAuth2 grant: \(auth)")
            return
        }
        #expect(grant.endpoint.optionalParams == ["tenant": "acme", "audience": "orders-api", "resource": "urn:orders", "note": "a b"])
        let base = #"  tokenUrl = "https://idp.example.com/oauth2/token"\#n  clientId = "gw"\#n  clientSecret = "s3cret"\#n"#
        #expect(self.diagnostics(base + #"  customPayload = "grant_type=password""#) == [
            "client.toml:8: service[0].upstreamClient.auth.customPayload: sets grant_type, which the gateway sets itself"
        ])
        #expect(self.diagnostics(base + #"  customPayload = "a=%zz""#) == [
            #"client.toml:8: service[0].upstreamClient.auth.customPayload: must be form parameters, name=value joined by &, percent-encoded ("a=%zz" is not one)"#
        ])
        #expect(self.diagnostics(base + #"  customPayload = "a=1&a=2""#) == [
            "client.toml:8: service[0].upstreamClient.auth.customPayload: sets a twice"
        ])
        #expect(self.diagnostics(base + "  optionalParams = { a = \"1\" }\n" + #"  customPayload = "a=2""#) == [
            "client.toml:9: service[0].upstreamClient.auth.customPayload: sets a, which optionalParams sets too"
        ])
    }

    @Test("the password grant with refreshConfig, and Ballerina's INFER_REFRESH_CONFIG (no scopes copied)")
    func passwordGrant() throws {
        let (explicit, _) = try self.auth(
            #"""
              tokenUrl = "http://127.0.0.1:9000/o/token/"
              username = "alice"
              password = "alice123"
              clientId = "password-client"
              clientSecret = "password-secret"
              scopes = "read"
              refreshConfig = { refreshUrl = "http://127.0.0.1:9000/o/refresh/", scopes = ["read"], credentialBearer = "POST_BODY_BEARER" }
            """#
        )
        guard case .oauth2(let grant) = explicit, let refresh = grant.refresh else {
            Issue.record("no refresh config: \(explicit)")
            return
        }
        #expect(grant.grant == .password(username: "alice", password: "alice123"))
        #expect(refresh.url == "http://127.0.0.1:9000/o/refresh/" && refresh.scopes == ["read"] && refresh.credentialBearer == .postBody)
        #expect(refresh.clientID == "password-client" && refresh.clientSecret == "password-secret")
        #expect(!"\(explicit)".contains("alice123"))

        let (inferred, warnings) = try self.auth(
            #"""
              tokenUrl = "http://127.0.0.1:9000/o/token/"
              username = "alice"
              password = "alice123"
              scopes = ["read"]
              refreshConfig = "INFER_REFRESH_CONFIG"
            """#
        )
        guard case .oauth2(let inferredGrant) = inferred else { return }
        #expect(inferredGrant.refresh?.url == "http://127.0.0.1:9000/o/token/")
        #expect(inferredGrant.refresh?.scopes == [])
        #expect(warnings == [
            "client.toml:5: service[0].upstreamClient.auth.tokenUrl: sends client credentials and receives tokens over plain HTTP; anyone on the network path can read them"
        ])
    }

    @Test("the refresh token grant")
    func refreshTokenGrant() throws {
        let (auth, _) = try self.auth(
            #"""
              refreshUrl = "https://idp/token"
              refreshToken = "rt-1"
              clientId = "gw"
              clientSecret = "s"
            """#
        )
        guard case .oauth2(let grant) = auth else { return }
        #expect(grant.grant == .refreshToken("rt-1"))
        #expect(grant.endpoint.url == "https://idp/token")
    }

    @Test("self-signed JWT: claims, key file and algorithm; NONE; a secret")
    func selfSignedJWT() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-clientauth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "not read by the parser".write(toFile: folder + "/signing.key", atomically: true, encoding: .utf8)
        let (auth, _) = try self.auth(
            #"""
              username = "ballerina"
              issuer = "wso2"
              audience = ["ballerina", "ballerina.org"]
              jwtId = "JlbmMiOiJBMTI4Q0JDLUhTMjU2In"
              keyId = "5a0b754-895f-4279-8843-b745e11a57e9"
              customClaims = { scp = "admin" }
              expTime = 3600
              signatureConfig = { algorithm = "RS256", config = { keyFile = "\#(folder)/signing.key", keyPassword = "k" } }
            """#
        )
        guard case .selfSignedJWT(let jwt) = auth else {
            Issue.record("not a JWT issuer: \(auth)")
            return
        }
        #expect(jwt.subject == "ballerina" && jwt.issuer == "wso2" && jwt.audience == ["ballerina", "ballerina.org"])
        #expect(jwt.jwtID == "JlbmMiOiJBMTI4Q0JDLUhTMjU2In" && jwt.keyID == "5a0b754-895f-4279-8843-b745e11a57e9")
        #expect(jwt.customClaims == ["scp": .string("admin")] && jwt.expTimeSeconds == 3600)
        #expect(jwt.algorithm == .rs256 && jwt.signature == .keyFile(path: folder + "/signing.key", password: "k"))

        let (unsigned, warnings) = try self.auth(#"  issuer = "gw"\#n  signatureConfig = { algorithm = "NONE" }"#)
        #expect(unsigned == .selfSignedJWT(JWTIssuerConfig(issuer: "gw")))
        #expect(warnings == [
            "client.toml:6: service[0].upstreamClient.auth.signatureConfig.algorithm: NONE: the JWT is unsecured, and upstreams following RFC 8725 refuse it"
        ])
        let (hmac, _) = try self.auth(#"  issuer = "gw"\#n  signatureConfig = { algorithm = "HS256", config = "s3cr3t" }"#)
        #expect(hmac == .selfSignedJWT(JWTIssuerConfig(issuer: "gw", algorithm: .hs256, signature: .secret("s3cr3t"))))
        #expect(!"\(hmac)".contains("s3cr3t"))
    }

    @Test("ambiguous, incomplete and wrong records are refused at their field")
    func mistakes() {
        #expect(self.diagnostics(#"  token = "t"\#n  tokenUrl = "https://idp/token""#) == [
            "client.toml:6: service[0].upstreamClient.auth.tokenUrl: mixes the fields of a bearer token config { token } and an OAuth2 grant config; give one record"
        ])
        #expect(self.diagnostics(#"  issuer = "gw"\#n  clientId = "x""#) == [
            "client.toml:5: service[0].upstreamClient.auth.issuer: mixes the fields of an OAuth2 grant config and a self-signed JWT config; give one record"
        ])
        #expect(self.diagnostics(#"  username = "gw""#) == ["client.toml:4: service[0].upstreamClient.auth.password: is required"])
        #expect(self.diagnostics(#"  tokenUrl = "https://idp/token"\#n  clientId = "gw""#) == [
            "client.toml:4: service[0].upstreamClient.auth.clientSecret: is required with clientId"
        ])
        #expect(self.diagnostics(#"  tokenUrl = "https://idp/token""#) == [
            "client.toml:4: service[0].upstreamClient.auth.clientId: is required for the client credentials grant"
        ])
        #expect(self.diagnostics(#"  clientId = "gw"\#n  clientSecret = "s""#) == ["client.toml:4: service[0].upstreamClient.auth.tokenUrl: is required"])
        #expect(self.diagnostics(
            #"  tokenUrl = "https://idp/token"\#n  clientId = "a"\#n  clientSecret = "b"\#n  credentialBearer = "HEADER"\#n  optionalParams = { grant_type = "x" }"#
        ) == [
            "client.toml:8: service[0].upstreamClient.auth.credentialBearer: must be AUTH_HEADER_BEARER or POST_BODY_BEARER",
            "client.toml:9: service[0].upstreamClient.auth.optionalParams.grant_type: is set by the gateway itself",
        ])
        #expect(self.diagnostics(#"  issuer = "gw"\#n  signatureConfig = { algorithm = "RS256" }"#) == [
            "client.toml:6: service[0].upstreamClient.auth.signatureConfig.config: is required to sign: { keyFile, keyPassword }, { keyStore, keyAlias, keyPassword } or a secret"
        ])
        #expect(self.diagnostics(#"  issuer = "gw"\#n  signatureConfig = { algorithm = "RS256", config = "secret" }"#) == [
            "client.toml:6: service[0].upstreamClient.auth.signatureConfig.algorithm: RS256 needs a private key, not a secret"
        ])
        #expect(self.diagnostics(#"  issuer = "gw"\#n  signatureConfig = { algorithm = "RS256", config = { keyFile = "/nonexistent.key" } }"#) == [
            "client.toml:6: service[0].upstreamClient.auth.signatureConfig.config.keyFile: /nonexistent.key: cannot be read"
        ])
        #expect(self.diagnostics(#"  nonsense = 1"#) == [
            "client.toml:4: service[0].upstreamClient.auth: needs { username, password } (Basic), { token } (bearer), an OAuth2 grant config (tokenUrl or refreshUrl) or a self-signed JWT config (signatureConfig)"
        ])
    }
}
