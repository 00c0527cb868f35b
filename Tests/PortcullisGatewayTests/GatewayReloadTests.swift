import Foundation
import HTTPTypes
import NIOCore
import PortcullisGateway
import PortcullisMetrics
import Testing
import PortcullisTestSupport

/// Hot reload (issue 18 §1) against a real gateway: what changes takes effect for the next
/// request, what is broken or needs a restart changes nothing, and no request is lost meanwhile.
@Suite("Gateway reload")
struct GatewayReloadTests {
    /// A gateway with Basic users, a JWT validator reading `keyFile`, a public proxied service and
    /// a public answered one whose resource is `resource`.
    static func config(password: String, keyFile: String, resource: String, port: String = "0") -> String {
        """
        [listener]
        port = \(port)
        shutdownTimeoutSeconds = 5

        [metrics]
        port = 0

        [[ballerina.auth.users]]
        username = "alice"
        password = "\(password)"
        scopes = ["read"]

        [[service]]
        name = "basic"
        basePath = "/basic"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "basic" }

        [[service]]
        name = "jwt"
        basePath = "/jwt"
          [[service.auth]]
          scopes = ["read"]
          [service.auth.jwtValidatorConfig]
          issuer = "test-issuer"
          audience = "portcullis"
          [service.auth.jwtValidatorConfig.signatureConfig]
          certFile = "\(keyFile)"
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "jwt" }

        [[service]]
        name = "open"
        basePath = "/open"
        upstream = "UPSTREAM"
        auth = []

        [[service]]
        name = "hello"
        basePath = "/hello"
        auth = []
          [[service.resource]]
          path = "/ping"
          respond = { status = 200, body = "pong" }
          [[service.resource]]
          path = "/\(resource)"
          respond = { status = 200, body = "\(resource)" }
        """
    }

    static func basic(_ user: String, _ password: String) -> [(String, String)] {
        [("authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())]
    }

    static func bearer(_ token: String) -> [(String, String)] {
        [("authorization", "Bearer \(token)")]
    }

    /// A copy of a fixture's certificate in a file of its own, which the test may overwrite.
    static func keyFile(copying source: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-reload-\(UUID().uuidString).crt").path
        try FileManager.default.copyItem(atPath: source, toPath: path)
        return path
    }

    static func replace(_ path: String, with source: String) throws {
        try FileManager.default.contentsOfFile(source).write(to: URL(fileURLWithPath: path))
    }

    @Test("a reload under load loses no request, and a changed password, route and JWT key take effect right after it")
    func reloadUnderLoad() async throws {
        let fixture = try await JWTFixture.make()
        let tokens = try await fixture.tokens([
            ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()],
            ["key": "rsa2", "alg": "RS256", "claims": JWTFixture.claims()],
        ])
        let keyFile = try Self.keyFile(copying: fixture.path("rsa.crt"))
        let before = Self.config(password: "alice-old", keyFile: keyFile, resource: "old")
        try await GatewayHarness.run(before) { gateway in
            try await gateway.expect(200, "/basic/", headers: Self.basic("alice", "alice-old"))
            try await gateway.expect(200, "/jwt/", headers: Self.bearer(tokens[0]))
            try await gateway.expect(200, "/hello/old")

            let progress = RequestProgress()
            let outcome = try await withThrowingTaskGroup(of: Void.self) { load in
                // Four clients over keep-alive connections, each request to a route both
                // configurations serve (proxied and answered here), until the reload is done
                // and each has sent 25 more; bounded at 2,000 requests each.
                for client in 0..<4 {
                    load.addTask {
                        for index in 0..<2_000 {
                            let path = (client + index) % 2 == 0 ? "/open/x" : "/hello/ping"
                            let status = (try? await gateway.get(path).status) ?? 0
                            await progress.record(ok: status == 200, path: path, status: status)
                            if await progress.finished(client: client) { return }
                        }
                    }
                }
                await progress.wait(forRequests: 40)
                let after = Self.config(password: "alice-new", keyFile: keyFile, resource: "new")
                try Self.replace(keyFile, with: fixture.path("rsa2.crt"))
                let outcome = await gateway.reload(after)
                await progress.reloaded()
                try await load.waitForAll()
                return outcome
            }
            guard case .reloaded = outcome else {
                Issue.record("reload rejected: \(outcome)")
                return
            }
            let counts = await progress.counts
            #expect(counts.failed.isEmpty, "requests lost or refused during the reload: \(counts.failed)")
            #expect(counts.afterReload >= 100)

            try await gateway.expect(401, "/basic/", headers: Self.basic("alice", "alice-old"))
            try await gateway.expect(200, "/basic/", headers: Self.basic("alice", "alice-new"))
            try await gateway.expect(404, "/hello/old")
            try await gateway.expect(200, "/hello/new")
            try await gateway.expect(401, "/jwt/", headers: Self.bearer(tokens[0]))
            try await gateway.expect(200, "/jwt/", headers: Self.bearer(tokens[1]))
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_config_reloads_total{outcome="success"} 1"#))
        }
    }

    @Test("a reload re-reads the files the config names: a rotated JWT key takes effect with the TOML unchanged, and unchanged authenticators keep their caches")
    func rotatedKeyFileSameTOML() async throws {
        let fixture = try await JWTFixture.make()
        let tokens = try await fixture.tokens([
            ["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()],
            ["key": "rsa2", "alg": "RS256", "claims": JWTFixture.claims()],
        ])
        let keyFile = try Self.keyFile(copying: fixture.path("rsa.crt"))
        let toml = Self.config(password: "alice-pass", keyFile: keyFile, resource: "old")
        try await GatewayHarness.run(toml) { gateway in
            try await gateway.expect(200, "/basic/", headers: Self.basic("alice", "alice-pass"))
            try await gateway.expect(200, "/jwt/", headers: Self.bearer(tokens[0]))
            try await gateway.expect(401, "/jwt/", headers: Self.bearer(tokens[1]))
            let hitsBefore = Self.value(of: #"portcullis_cache_lookups_total{cache="basic_file",result="hit"}"#, in: try await gateway.metrics())

            try Self.replace(keyFile, with: fixture.path("rsa2.crt"))
            let outcome = await gateway.reload(toml)
            guard case .reloaded = outcome else {
                Issue.record("reload rejected: \(outcome)")
                return
            }
            // The token verified (and cached) under the old key is refused at once.
            try await gateway.expect(401, "/jwt/", headers: Self.bearer(tokens[0]))
            try await gateway.expect(200, "/jwt/", headers: Self.bearer(tokens[1]))
            // The file user store did not change: its cache answers alice without a new check.
            try await gateway.expect(200, "/basic/", headers: Self.basic("alice", "alice-pass"))
            let hitsAfter = Self.value(of: #"portcullis_cache_lookups_total{cache="basic_file",result="hit"}"#, in: try await gateway.metrics())
            #expect(hitsAfter == hitsBefore + 1, "basic_file cache hits \(hitsBefore) → \(hitsAfter)")
        }
    }

    @Test("a broken config, a missing key file or a changed listener port is refused with FILE:LINE: key.path, and the running config keeps serving")
    func rejectedReloads() async throws {
        let fixture = try await JWTFixture.make()
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()])
        let keyFile = try Self.keyFile(copying: fixture.path("rsa.crt"))
        let toml = Self.config(password: "alice-pass", keyFile: keyFile, resource: "old")
        try await GatewayHarness.run(toml) { gateway in
            let hash = try #require(Self.configHash(in: try await gateway.metrics()))

            let syntax = await gateway.reload(toml + "\n[[service]\n")
            guard case .rejected(let syntaxProblems) = syntax else {
                Issue.record("a TOML syntax error was accepted")
                return
            }
            #expect(syntaxProblems.contains { $0.hasPrefix("test.toml:") && $0.contains("TOML syntax error") }, "\(syntaxProblems)")

            let missing = await gateway.reload(Self.config(password: "alice-new", keyFile: keyFile + ".gone", resource: "new"))
            guard case .rejected(let missingProblems) = missing else {
                Issue.record("a missing key file was accepted")
                return
            }
            #expect(missingProblems.contains { $0.hasPrefix("test.toml:") && $0.contains("certFile") && $0.contains("cannot be read") }, "\(missingProblems)")

            let moved = await gateway.reload(Self.config(password: "alice-new", keyFile: keyFile, resource: "new", port: "1"))
            guard case .rejected(let movedProblems) = moved else {
                Issue.record("a changed listener port was accepted")
                return
            }
            #expect(movedProblems == ["test.toml:2: listener.port: changing it requires a restart (serving 0, the file says 1); the running configuration is kept"])

            // Nothing of the three took effect.
            try await gateway.expect(200, "/basic/", headers: Self.basic("alice", "alice-pass"))
            try await gateway.expect(401, "/basic/", headers: Self.basic("alice", "alice-new"))
            try await gateway.expect(200, "/jwt/", headers: Self.bearer(token))
            try await gateway.expect(200, "/hello/old")
            try await gateway.expect(404, "/hello/new")
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"portcullis_config_reloads_total{outcome="failure"} 3"#))
            #expect(Self.configHash(in: metrics) == hash)

            // A good reload afterwards: the hash and the timestamp move on.
            let good = await gateway.reload(Self.config(password: "alice-new", keyFile: keyFile, resource: "new"))
            #expect(good == .reloaded(hash: try #require(Self.configHash(in: try await gateway.metrics()))), "\(good)")
            let reloaded = try await gateway.metrics()
            #expect(Self.configHash(in: reloaded) != hash)
            #expect(reloaded.contains("portcullis_config_last_reload_success_timestamp_seconds"))
            try await gateway.expect(200, "/hello/new")
        }
    }

    @Test("a reload that leaves a JWKS validator unchanged keeps its key set and cache: no new fetch, its tokens accepted at once")
    func jwksKeptAcrossReload() async throws {
        let fixture = try await JWTFixture.make()
        let state = JWKSState(body: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("jwks.json")))))
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "kid": "rsa-1", "claims": JWTFixture.claims()])
        try await TestJWKSServer.run(state) { port in
            @Sendable func config(resource: String) -> String {
                GatewayJWTTests.jwksConfig(port: port) + """

                    [[service]]
                    name = "hello"
                    basePath = "/hello"
                    auth = []
                      [[service.resource]]
                      path = "/\(resource)"
                      respond = { status = 200, body = "\(resource)" }
                    """
            }
            try await GatewayHarness.run(config(resource: "old")) { gateway in
                try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
                #expect(await state.fetches == 1)
                let hitsBefore = Self.value(of: #"portcullis_cache_lookups_total{cache="jwt",result="hit"}"#, in: try await gateway.metrics())
                // Even with the identity provider down, the kept key set answers.
                await state.set(status: .serviceUnavailable)
                let outcome = await gateway.reload(config(resource: "new"))
                guard case .reloaded = outcome else {
                    Issue.record("reload rejected: \(outcome)")
                    return
                }
                try await gateway.expect(200, "/hello/new")
                try await gateway.expect(200, "/api/x", headers: Self.bearer(token))
                #expect(await state.fetches == 1)
                let hitsAfter = Self.value(of: #"portcullis_cache_lookups_total{cache="jwt",result="hit"}"#, in: try await gateway.metrics())
                #expect(hitsAfter == hitsBefore + 1, "jwt cache hits \(hitsBefore) → \(hitsAfter)")
                let ready = try await GatewayMetricsTests.probe(gateway, "/readyz")
                #expect(ready.0 == 200, "\(ready.1)")
            }
        }
    }

    @Test("the TLS listener's certificate is rotated by a reload: new handshakes see the new one")
    func certificateRotation() async throws {
        let pki = try TestPKI()
        let first = try pki.authority("first")
        let second = try pki.authority("second")
        try pki.server("old", issuer: first)
        try pki.server("new", issuer: second)
        let certFile = pki.path("served.crt")
        let keyFile = pki.path("served.key")
        try Self.replace(certFile, with: pki.path("old.crt"))
        try Self.replace(keyFile, with: pki.path("old.key"))
        let toml = """
            [listener]
            port = 0
            [listener.secureSocket]
            key = { certFile = "\(certFile)", keyFile = "\(keyFile)" }

            [[service]]
            name = "open"
            basePath = "/open"
            upstream = "UPSTREAM"
            auth = []
            """
        try await GatewayHarness.run(toml) { gateway in
            #expect(try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("first.crt")).status == 200)
            #expect(try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("second.crt")).status == 0)
            try Self.replace(certFile, with: pki.path("new.crt"))
            try Self.replace(keyFile, with: pki.path("new.key"))
            let outcome = await gateway.reload(toml)
            guard case .reloaded = outcome else {
                Issue.record("reload rejected: \(outcome)")
                return
            }
            #expect(try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("second.crt")).status == 200)
            #expect(try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("first.crt")).status == 0)
        }
    }

    /// The value of the series `series` in an exposition, 0 when absent.
    static func value(of series: String, in metrics: String) -> Double {
        for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    /// The `hash` label of `portcullis_config_info`.
    static func configHash(in metrics: String) -> String? {
        for line in metrics.split(separator: "\n") where line.hasPrefix("portcullis_config_info{hash=\"") {
            return line.dropFirst("portcullis_config_info{hash=\"".count).split(separator: "\"").first.map(String.init)
        }
        return nil
    }
}

/// Counts the requests of the load clients in ``GatewayReloadTests/reloadUnderLoad()`` and lets
/// the test wait for them.
private actor RequestProgress {
    private(set) var counts: (total: Int, afterReload: Int, failed: [String]) = (0, 0, [])
    private var isReloaded = false
    private var perClientAfterReload: [Int: Int] = [:]
    private var waiting: [(Int, CheckedContinuation<Void, Never>)] = []

    func record(ok: Bool, path: String, status: Int) {
        self.counts.total += 1
        if self.isReloaded { self.counts.afterReload += 1 }
        if !ok { self.counts.failed.append("\(path): \(status)") }
        self.waiting.removeAll { target, continuation in
            guard self.counts.total >= target else { return false }
            continuation.resume()
            return true
        }
    }

    /// Whether `client` has sent its 25 requests after the reload.
    func finished(client: Int) -> Bool {
        guard self.isReloaded else { return false }
        self.perClientAfterReload[client, default: 0] += 1
        return self.perClientAfterReload[client, default: 0] >= 25
    }

    func reloaded() {
        self.isReloaded = true
    }

    func wait(forRequests count: Int) async {
        guard self.counts.total < count else { return }
        await withCheckedContinuation { self.waiting.append((count, $0)) }
    }
}

extension FileManager {
    fileprivate func contentsOfFile(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
