import Foundation
import PortcullisConfig
import PortcullisLoadTest
import Testing
import PortcullisTestSupport

/// `portcullis loadtest`'s credential classes against a live gateway: minted JWTs (distinct ones
/// each costing the gateway one cache miss), invalid JWT kinds, and an OAuth2 grant's token from
/// a real authorization server, introspected by the gateway.
@Suite("Load test credentials")
struct LoadTestCredentialTests {
    static let config = """
        [listener]
        port = 0
        shutdownTimeoutSeconds = 5
        [metrics]
        port = 0

        [[service]]
        name = "jwt"
        basePath = "/jwt"
          [[service.auth]]
          scopes = ["read"]
          [service.auth.jwtValidatorConfig]
          issuer = "\(QuickstartDevelopmentKey.issuer)"
          [service.auth.jwtValidatorConfig.signatureConfig]
          publicKey = \"\"\"
        \(QuickstartDevelopmentKey.publicKeyPEM)
        \"\"\"
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "jwt" }
        """

    @Test("--jwt-key with --jwt-unique: every distinct token costs the gateway one cache miss; expired and bad-signature tokens get 401 and always miss")
    func jwtClasses() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let metricsPort = try #require(gateway.metricsPort)
            let json = try CommandRunner.temporaryFile("", name: "report.json")
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/jwt/", "--requests", "200", "--duration", "60s", "--connections", "2", "--threads", "1",
                "--jwt-key", "quickstart", "--jwt-claim", #"scope="read""#, "--jwt-unique", "40", "--invalid", "expired",
                "--invalid", "bad-signature", "--metrics", "http://127.0.0.1:\(metricsPort)/metrics", "--json", json, "--quiet",
            ])
            #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
            let report = try JSONDecoder().decode(LoadTestReport.JSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(report.classes["jwt"]?.statuses.keys.sorted() == ["200"])
            #expect(report.classes["invalid-expired"]?.statuses.keys.sorted() == ["401"])
            #expect(report.classes["invalid-bad-signature"]?.statuses.keys.sorted() == ["401"])
            #expect(report.classes["jwt"]?.credentials == 40, "\(result.stdout)")
            // "jwt cache misses N ≈ expected M": one loop sends each token, so no token is ever
            // missed twice (a cycle of 40 is longer than the two connections in flight). The run
            // ends after 200 answers rather than at a time: a signature check is a pending
            // decision, which waits for the test process's busy concurrency pool.
            let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("jwt cache misses ") }, "\(result.stdout)")
            let numbers = line.split(separator: " ").compactMap { Int($0) }
            #expect(numbers.count >= 2 && numbers[0] == numbers[1] && numbers[0] > 40, "\(line)")
        }
    }

    @Test("--basic with --basic-unique: {i} numbers the credentials, each verified once and cached by the gateway")
    func basicUnique() async throws {
        let users = (0..<20).map { "[[ballerina.auth.users]]\nusername = \"user\($0)\"\npassword = \"pw\($0)\"\n" }.joined()
        let config = """
            [listener]
            port = 0
            [metrics]
            port = 0
            \(users)
            [[service]]
            name = "basic"
            basePath = "/basic"
              [[service.auth]]
              fileUserStoreConfig = {}
              [[service.resource]]
              path = "/"
              respond = { status = 200, body = "basic" }
            """
        try await GatewayHarness.run(config) { gateway in
            let json = try CommandRunner.temporaryFile("", name: "report.json")
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/basic/", "--requests", "60", "--duration", "60s", "--connections", "2", "--threads", "1",
                "--basic", "user{i}:pw{i}", "--basic-unique", "20", "--json", json, "--quiet",
            ])
            #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
            let report = try JSONDecoder().decode(LoadTestReport.JSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(report.classes["basic"]?.statuses == ["200": 60])
            #expect(report.classes["basic"]?.credentials == 20)
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_cache_entries{cache="basic_file"} 20"#), "\(metrics)")
        }
        for (arguments, message) in [
            (["--basic-unique", "5"], "--basic-unique needs --basic"),
            (["--basic", "a:b", "--basic-unique", "5"], "--basic-unique needs {i} in --basic"),
            (["--basic", "a{i}:b", "--basic-unique", "0"], "--basic-unique must be between 1 and 10000000"),
        ] {
            let result = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:1/"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("--jwt-claim sets the tokens' claims: without the scope the gateway answers 403, which --expect names")
    func jwtClaims() async throws {
        try await GatewayHarness.run(Self.config) { gateway in
            let result = try await CommandRunner.runAsync([
                "loadtest", "http://127.0.0.1:\(gateway.gatewayPort)/jwt/", "--requests", "20", "--duration", "60s", "--connections", "1", "--threads", "1",
                "--jwt-key", "quickstart", "--jwt-claim", #"scope="write""#, "--jwt-claim", #"aud=["a","b"]"#, "--expect", "jwt=403", "--quiet",
            ])
            #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
            #expect(result.stdout.contains("403×"), "\(result.stdout)")
        }
        for (arguments, message) in [
            (["--jwt-key", "quickstart", "--jwt-claim", "exp=1"], "--jwt-claim exp: set by the load tester"),
            (["--jwt-key", "quickstart", "--jwt-claim", "sub=1"], "--jwt-claim sub: must be a JSON string"),
            (["--jwt-key", "quickstart", "--jwt-claim", "scope=read"], "the value is not JSON"),
            (["--jwt-unique", "5"], "--jwt-unique needs --jwt-key"),
            (["--invalid", "expired"], "--invalid expired needs --jwt-key"),
            (["--jwt-key", "/nonexistent/key.pem"], "/nonexistent/key.pem: cannot be read"),
        ] {
            let result = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:1/"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    /// A client-credentials grant record for `server`'s `gateway` client, with `extra` lines.
    static func grantRecord(_ server: OAuth2Server, _ extra: String = "") throws -> String {
        try CommandRunner.temporaryFile(
            """
            tokenUrl = "\(server.tokenURL)"
            clientId = "\(OAuth2Server.gateway.id)"
            clientSecret = "\(OAuth2Server.gateway.secret)"
            scopes = ["read"]
            \(extra)
            """,
            name: "grant.toml"
        )
    }

    @Test("--oauth2-config: a token that expires during the run is renewed by the token manager, and every request still gets 200")
    func oauth2Renewal() async throws {
        // Tokens of 4 s, used for 3 (clockSkew 1): the token manager renews each in its last
        // 0.3 s of use, a second before the server would call it inactive. A run of 8 s needs
        // at least three tokens; one not renewed would get 401 from the gateway once expired.
        try await OAuth2Server.run(accessTokenSeconds: 4) { server in
            try await GatewayHarness.run(GatewayIntrospectionTests.config(url: server.introspectionURL)) { gateway in
                let record = try Self.grantRecord(server, "clockSkew = 1")
                let json = try CommandRunner.temporaryFile("", name: "report.json")
                let metricsPort = try #require(gateway.metricsPort)
                let result = try await CommandRunner.runAsync([
                    "loadtest", gateway.base + "/api/orders", "--rate", "40", "--duration", "8s", "--connections", "4", "--threads", "2",
                    "--oauth2-config", record, "--json", json, "--metrics", "http://127.0.0.1:\(metricsPort)/metrics", "--quiet",
                ])
                #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
                let report = try JSONDecoder().decode(LoadTestReport.JSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
                let oauth2 = try #require(report.classes["oauth2"])
                #expect(Array(oauth2.statuses.keys) == ["200"], "\(oauth2.statuses)")
                #expect(report.accounting.errored == 0 && report.accounting.timedOut == 0, "\(report.accounting)")
                // Both loops send every token: each counts once.
                #expect(oauth2.credentials >= 3, "\(result.stdout)")
                #expect(oauth2.credentials <= 4, "\(result.stdout)")
                let requests = try await server.tokenRequests()
                #expect((requests["client_credentials"] ?? 0) >= 3, "\(requests)")
                // Each token missed the gateway's introspection cache at least once: more often
                // when further requests with it came before its first answer was cached (a
                // loaded machine's slow introspection makes that many).
                let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("introspection cache misses ") }, "\(result.stdout)")
                let numbers = line.split(separator: " ").compactMap { Int($0) }
                #expect(numbers.count >= 2 && numbers[1] == oauth2.credentials, "\(line)")
                #expect(numbers.count >= 2 && numbers[0] >= numbers[1], "\(line)")
            }
        }
    }

    @Test("--oauth2-config: a client-credentials token fetched from a real authorization server, introspected by the gateway")
    func oauth2Class() async throws {
        try await OAuth2Server.run { server in
            try await GatewayHarness.run(GatewayIntrospectionTests.config(url: server.introspectionURL)) { gateway in
                let record = try Self.grantRecord(server)
                let result = try await CommandRunner.runAsync([
                    "loadtest", gateway.base + "/api/orders", "--requests", "20", "--duration", "60s", "--connections", "2", "--threads", "1",
                    "--oauth2-config", record, "--quiet",
                ])
                #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
                #expect(result.stdout.contains("oauth2"), "\(result.stdout)")
            }
        }
        let bad = try CommandRunner.temporaryFile("tokenUrl = \"http://127.0.0.1:1/token\"\nclientId = 7\n", name: "grant.toml")
        let refused = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:1/", "--oauth2-config", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):2: clientId"), "\(refused.stderr)")
        let basic = try CommandRunner.temporaryFile("username = \"a\"\npassword = \"b\"\n", name: "grant.toml")
        let notGrant = try await CommandRunner.runAsync(["loadtest", "http://127.0.0.1:1/", "--oauth2-config", basic])
        #expect(notGrant.status == 1)
        #expect(notGrant.stderr.contains("not an OAuth2 grant record"), "\(notGrant.stderr)")
    }
}
