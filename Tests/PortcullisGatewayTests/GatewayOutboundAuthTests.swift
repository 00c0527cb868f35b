import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortcullisMetrics
import Testing
import PortcullisTestSupport

/// `upstreamClient.auth` end to end: the gateway replaces the client's `Authorization` with its
/// own credentials toward the upstream (the echo shows what arrived). OAuth2 tokens come from a
/// real authorization server (`OAuth2Server`), self-signed JWTs are checked with PyJWT.
@Suite("Gateway outbound auth")
struct GatewayOutboundAuthTests {
    static func config(auth: String) -> String {
        GatewayConfigs.apiService(
            """
              [service.upstreamClient]
              auth = { \(auth) }
            """
        )
    }

    static func clientCredentials(_ tokenURL: String, secret: String = OAuth2Server.gateway.secret) -> String {
        #"tokenUrl = "\#(tokenURL)", clientId = "\#(OAuth2Server.gateway.id)", clientSecret = "\#(secret)", scopes = ["read", "hello"]"#
    }

    static let inbound = [("authorization", "Basic " + Array("client:secret".utf8).base64())]

    @Test("Basic and bearer records replace the client's Authorization header")
    func staticCredentials() async throws {
        for (auth, expected) in [
            (#"username = "gw", password = "s3cret""#, "Basic " + Array("gw:s3cret".utf8).base64()),
            (#"token = "static-token-1""#, "Bearer static-token-1"),
        ] {
            try await GatewayHarness.run(Self.config(auth: auth)) { gateway in
                let response = try await gateway.get("/api/orders", headers: Self.inbound)
                #expect(response.status == 200)
                #expect(try response.echoed().header("authorization") == [expected])
            }
        }
    }

    @Test("Client credentials at a cold start: 200 concurrent requests, one token request, an active token upstream")
    func clientCredentialsColdStart() async throws {
        try await OAuth2Server.run { server in
            try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(server.tokenURL))) { gateway in
                let seen = try await Self.authorizations(gateway, count: 200)
                #expect(seen.count == 1)
                let header = try #require(seen.first?.first)
                #expect(header.hasPrefix("Bearer "))
                let introspected = try await server.introspect(String(header.dropFirst(7)))
                #expect(introspected.active && introspected.clientID == OAuth2Server.gateway.id)
                #expect(try await server.tokenRequests() == ["client_credentials": 1])
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_token_refreshes_total{service="/api",outcome="success"} 1"#))
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="token",outcome="success"} 1"#))
            }
        }
    }

    @Test("Right after the token expires (a moved clock): 200 concurrent requests, one more token request")
    func clientCredentialsAfterExpiry() async throws {
        try await OAuth2Server.run { server in
            let clock = OAuth2TokenManagerTests.ManualClock()
            try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(server.tokenURL)), tokenClock: clock.now) { gateway in
                let first = try await Self.authorizations(gateway, count: 200)
                #expect(first.count == 1)
                // django-oauth-toolkit's tokens live an hour.
                clock.advance(by: 3601)
                let second = try await Self.authorizations(gateway, count: 200)
                #expect(second.count == 1 && second != first)
                #expect(try await server.tokenRequests() == ["client_credentials": 2])
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_token_refreshes_total{service="/api",outcome="success"} 2"#))
            }
        }
    }

    @Test("An upstream 401 for a token revoked early: the token is dropped, a new one fetched and the request (no body or a small one) sent again, once")
    func upstreamRejectsToken() async throws {
        try await OAuth2Server.run { server in
            try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(server.tokenURL))) { gateway in
                let response = try await gateway.get("/api/revoked/orders")
                #expect(response.status == 200)
                let carried = try #require(try response.echoed().header("authorization").first)
                #expect(try await server.tokenRequests() == ["client_credentials": 2])
                #expect(try await server.introspect(String(carried.dropFirst(7))).active)
                #expect(try await gateway.get("/api/revoked/orders").status == 200)
            }
            // A small body is buffered and sent again with the new token.
            try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(server.tokenURL))) { gateway in
                let posted = try await gateway.get("/api/revoked/orders", method: .POST, body: Array(#"{"id":1}"#.utf8))
                #expect(posted.status == 200)
                #expect(try posted.echoed().bodyLength == 8)
                #expect(try await server.tokenRequests() == ["client_credentials": 4])
            }
            // A large one is streamed, so it is not sent twice: the 401 reaches the client.
            try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(server.tokenURL))) { gateway in
                let posted = try await gateway.get("/api/revoked/orders", method: .POST, body: [UInt8](repeating: 0x61, count: 100_000))
                #expect(posted.status == 401)
                #expect(try await server.tokenRequests() == ["client_credentials": 5])
            }
        }
    }

    /// The distinct `Authorization` values the upstream saw for `count` concurrent requests.
    static func authorizations(_ gateway: GatewayHarness.Context, count: Int) async throws -> Set<[String]> {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<count {
                group.addTask {
                    let response = try await gateway.get("/api/orders", headers: Self.inbound)
                    guard response.status == 200 else { return ["status \(response.status)"] }
                    return try response.echoed().header("authorization")
                }
            }
            return try await group.reduce(into: Set<[String]>()) { $0.insert($1) }
        }
    }

    @Test("A wrong client secret: 502 and the request not sent; a log line naming the refusal, not the secret; later requests back off")
    func wrongSecret() async throws {
        try await OAuth2Server.run { server in
            let log = LogCapture()
            let config = Self.config(auth: Self.clientCredentials(server.tokenURL, secret: "wrong-secret-value"))
            try await GatewayHarness.run(config, logger: log.logger) { gateway in
                for _ in 0..<3 {
                    let response = try await gateway.get("/api/orders", headers: Self.inbound)
                    #expect(response.status == 502)
                    #expect(response.body.isEmpty)
                }
                // The first failure starts the backoff: the other two did not ask again.
                #expect(try await server.tokenRequests() == ["client_credentials": 1])
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_token_refreshes_total{service="/api",outcome="failure"} 1"#))
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="token",outcome="error"} 1"#))
                let sent = #"portcullis_upstream_duration_seconds_count{service="/api"}"#
                #expect(metrics.contains(sent + " 0") || !metrics.contains(sent), "a request reached the upstream")
            }
            let text = log.text
            #expect(text.contains("token request failed") && text.contains("HTTP 401, invalid_client"), "\(text)")
            #expect(text.contains("endpoint=\(server.tokenURL)"))
            #expect(!text.contains("wrong-secret-value"))
            #expect(!text.contains(Array("gateway:wrong-secret-value".utf8).base64()))
        }
    }

    @Test("Authorization server down: 502; back on the same port: 200 without restarting the gateway")
    func outageAndRecovery() async throws {
        let first = try await OAuth2Server.start()
        let port = first.port
        let tokenURL = first.tokenURL
        await first.stop()
        try await GatewayHarness.run(Self.config(auth: Self.clientCredentials(tokenURL))) { gateway in
            #expect(try await gateway.get("/api/orders", headers: Self.inbound).status == 502)
            try await withTestServer({ try await OAuth2Server.start(port: port) }) { server in
                // The next attempt waits out the 1 s backoff: bounded polling for that moment.
                var status = 0
                for _ in 0..<60 where status != 200 {
                    status = try await gateway.get("/api/orders", headers: Self.inbound).status
                    if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(status == 200)
                #expect(try await server.tokenRequests() == ["client_credentials": 1])
            }
        }
    }

    @Test("Self-signed JWT, RS256 from an encrypted PEM key and from a PKCS#12 keystore: PyJWT verifies it with every configured claim")
    func selfSignedJWT() async throws {
        let fixture = try await JWTFixture.make()
        let store = fixture.path("rsa-signing.p12")
        let exported = try await ExternalTool.runAsync(
            "openssl",
            ["pkcs12", "-export", "-in", fixture.path("rsa.crt"), "-inkey", fixture.path("rsa.key"), "-out", store, "-passout", "pass:storepass"]
        )
        try #require(exported.status == 0, "\(exported.stderr)")
        let claims = #"username = "gateway", issuer = "portcullis", audience = ["orders", "billing"], jwtId = "jti-1", keyId = "gw-key", customClaims = { scope = "read write" }, expTime = 600"#
        for signature in [
            #"signatureConfig = { algorithm = "RS256", config = { keyFile = "\#(fixture.path("rsa-encrypted.key"))", keyPassword = "keypass" } }"#,
            #"signatureConfig = { config = { keyStore = { path = "\#(store)", password = "storepass" }, keyAlias = "1", keyPassword = "storepass" } }"#,
        ] {
            try await GatewayHarness.run(Self.config(auth: claims + ", " + signature)) { gateway in
                let first = try await gateway.get("/api/orders", headers: Self.inbound)
                #expect(first.status == 200)
                let header = try #require(try first.echoed().header("authorization").first)
                #expect(header.hasPrefix("Bearer "))
                let token = String(header.dropFirst(7))
                let verified = try await fixture.verify(token, key: "rsa", alg: "RS256", audience: "orders")
                #expect(verified.error == nil, "\(verified.error ?? "")")
                #expect(verified.header["kid"] as? String == "gw-key")
                #expect(verified.claims["iss"] as? String == "portcullis" && verified.claims["sub"] as? String == "gateway")
                #expect(verified.claims["aud"] as? [String] == ["orders", "billing"] && verified.claims["jti"] as? String == "jti-1")
                #expect(verified.claims["scope"] as? String == "read write")
                let issuedAt = try #require(verified.claims["iat"] as? Int)
                #expect(verified.claims["exp"] as? Int == issuedAt + 600 && verified.claims["nbf"] as? Int == issuedAt)
                // Signed once, reused until shortly before expiry.
                #expect(try await gateway.get("/api/orders", headers: Self.inbound).echoed().header("authorization") == [header])
            }
        }
    }

    @Test("Self-signed JWT from a keystore of two keys: keyAlias picks one (with its own keyPassword, or the store's); PyJWT verifies each with its key only; a missing alias, a missing keyAlias and a wrong keyPassword stop check with the reason")
    func keystoreAlias() async throws {
        let fixture = try await JWTFixture.make()
        let store = fixture.path("two-keys.p12")
        for (alias, extra, key, other, alg) in [
            ("ec-signer", #", keyPassword = "keypass-ec""#, "ec", "rsa", "ES256"),
            ("rsa-signer", "", "rsa", "ec", "RS256"),
        ] {
            let signature = #"signatureConfig = { algorithm = "\#(alg)", config = { keyStore = { path = "\#(store)", password = "storepass" }, keyAlias = "\#(alias)"\#(extra) } }"#
            try await GatewayHarness.run(Self.config(auth: #"issuer = "portcullis", audience = "orders", "# + signature)) { gateway in
                let header = try #require(try await gateway.get("/api/orders").echoed().header("authorization").first)
                let token = String(header.dropFirst(7))
                let verified = try await fixture.verify(token, key: key, alg: alg, audience: "orders")
                #expect(verified.error == nil, "\(alias): \(verified.error ?? "")")
                #expect(verified.claims["iss"] as? String == "portcullis")
                let otherKey = try await fixture.verify(token, key: other, alg: alg, audience: "orders")
                #expect(otherKey.error != nil, "\(alias) verified with the other key")
            }
        }
        for (config, key, message) in [
            (#"keyAlias = "nope""#, "keyAlias", #"no key "nope" in \#(store); its keys: "ec-signer", "rsa-signer""#),
            ("", "keyStore", #"\#(store) holds 2 keys ("ec-signer", "rsa-signer"): name one with keyAlias"#),
            (#"keyAlias = "ec-signer", keyPassword = "wrong""#, "keyPassword", "\(store): the key cannot be decrypted with keyPassword"),
            (#"keyAlias = "ec-signer""#, "keyStore", "\(store): the key cannot be decrypted with keyStore.password"),
        ] {
            let file = fixture.path("alias.toml")
            let keyStore = #"keyStore = { path = "\#(store)", password = "storepass" }"# + (config.isEmpty ? "" : ", " + config)
            let toml = Self.config(auth: #"issuer = "portcullis", signatureConfig = { algorithm = "ES256", config = { \#(keyStore) } }"#)
                .replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:8080")
            try toml.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", file])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(file):10: service[0].upstreamClient.auth.signatureConfig.config.\(key): \(message)"), "\(result.stderr)")
        }
        let wrongStore = fixture.path("alias-store.toml")
        let toml = Self.config(auth: #"issuer = "portcullis", signatureConfig = { config = { keyStore = { path = "\#(store)", password = "wrong" }, keyAlias = "rsa-signer" } }"#)
            .replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:8080")
        try toml.write(toFile: wrongStore, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", wrongStore])
        #expect(result.stderr.contains("the keystore's integrity check failed: wrong keyStore.password, or a damaged file"), "\(result.stderr)")
    }

    @Test("Self-signed JWT from an Ed25519 key: EdDSA, verified by PyJWT; an encrypted Ed25519 key stops check with the reason")
    func selfSignedEdDSA() async throws {
        let fixture = try await JWTFixture.make()
        let auth = #"issuer = "portcullis", audience = "orders", signatureConfig = { config = { keyFile = "\#(fixture.path("ed.key"))" } }"#
        try await GatewayHarness.run(Self.config(auth: auth)) { gateway in
            let header = try #require(try await gateway.get("/api/orders").echoed().header("authorization").first)
            let verified = try await fixture.verify(String(header.dropFirst(7)), key: "ed", alg: "EdDSA", audience: "orders")
            #expect(verified.error == nil, "\(verified.error ?? "")")
            #expect(verified.header["alg"] as? String == "EdDSA" && verified.claims["iss"] as? String == "portcullis")
        }
        let encrypted = fixture.path("ed.enc.key")
        let converted = try await ExternalTool.runAsync(
            "openssl",
            ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", fixture.path("ed.key"), "-out", encrypted, "-passout", "pass:edpass"]
        )
        try #require(converted.status == 0, "\(converted.stderr)")
        let file = fixture.path("ed.toml")
        let toml = Self.config(auth: #"issuer = "portcullis", signatureConfig = { config = { keyFile = "ed.enc.key", keyPassword = "edpass" } }"#)
            .replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:8080")
        try toml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):10: service[0].upstreamClient.auth.signatureConfig.config.keyFile: \(encrypted): an encrypted key of this type cannot be read here"), "\(result.stderr)")
    }

    @Test("algorithm NONE: an unsecured JWT, header.payload with alg none")
    func unsecuredJWT() async throws {
        try await GatewayHarness.run(Self.config(auth: #"issuer = "portcullis", signatureConfig = { algorithm = "NONE" }"#)) { gateway in
            let header = try #require(try await gateway.get("/api/orders").echoed().header("authorization").first)
            let parts = header.dropFirst(7).split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.count == 2)
            let decoded = try #require(Data(base64Encoded: String(parts[0]) + "=="))
            #expect(String(decoding: decoded, as: UTF8.self) == #"{"alg":"none","typ":"JWT"}"#)
        }
    }

    @Test("A wrong key password stops check with the file, line and key; the password is not printed")
    func badKeyPassword() async throws {
        let fixture = try await JWTFixture.make()
        let file = fixture.path("outbound.toml")
        let toml = Self.config(auth: #"issuer = "portcullis", signatureConfig = { config = { keyFile = "rsa-encrypted.key", keyPassword = "not-the-password" } }"#)
            .replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:8080")
        try toml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", file])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "\(file):10: service[0].upstreamClient.auth.signatureConfig.config.keyFile: \(fixture.path("rsa-encrypted.key")): cannot be decrypted (wrong keyPassword?)"
            ),
            "\(result.stderr)"
        )
        #expect(!result.stderr.contains("not-the-password"))
    }
}
