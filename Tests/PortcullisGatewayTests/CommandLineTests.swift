import AsyncHTTPClient
import Foundation
import NIOFoundationCompat
import Logging
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisConfig
import ServiceLifecycle
import Testing
import PortcullisTestSupport

/// The command line of contract §2, run as a separate process.
@Suite("Command line")
struct CommandLineTests {
    @Test("check accepts a valid config with exit 0")
    func checkValid() async throws {
        let file = try CommandRunner.temporaryFile(GatewayConfigs.gateway.replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:1").replacingOccurrences(of: "DOWN", with: "http://127.0.0.1:2"))
        let result = try await CommandRunner.runAsync(["check", "--config", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(file): OK"))
    }

    @Test("check warns when a JWT entry's certFile holds the quickstart's development key")
    func developmentKeyFile() async throws {
        let key = try CommandRunner.temporaryFile(QuickstartDevelopmentKey.publicKeyPEM, name: "development.pub")
        let file = try CommandRunner.temporaryFile(
            GatewayConfigs.apiService(
                """
                  [[service.auth]]
                  [service.auth.jwtValidatorConfig]
                  issuer = "portcullis"
                  signatureConfig = { certFile = "\(key)" }
                """
            ).replacingOccurrences(of: "UPSTREAM", with: "http://127.0.0.1:1")
        )
        let result = try await CommandRunner.runAsync(["check", "--config", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "\(file):12: service[0].auth[0].jwtValidatorConfig.signatureConfig.certFile: warning: \(key): is the quickstart's public development key"
            ),
            "\(result.stderr)"
        )
    }

    @Test("check prints every error as FILE:LINE: key.path: message and exits 1")
    func checkInvalid() async throws {
        let file = try CommandRunner.temporaryFile(
            """
            [listener]
            port = "x"

            [[service]]
            basePath = "/a"
            upstream = "ftp://x"
            colour = 1
            """
        )
        let result = try await CommandRunner.runAsync(["check", "--config", file])
        #expect(result.status == 1)
        #expect(result.stderr == """
            \(file):2: listener.port: must be an integer, not a string
            \(file):6: service[0].upstream: "ftp://x" must start with http:// or https://
            \(file):7: service[0].colour: unknown key

            """)
    }

    @Test("check exits 2 for an unreadable file and 1 without --config")
    func checkFailures() async throws {
        let missing = try await CommandRunner.runAsync(["check", "--config", "/nonexistent/p.toml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/p.toml: cannot be read"))
        #expect(try await CommandRunner.runAsync(["check"]).status == 1)
    }

    @Test("hash-password prints stored forms that verify", arguments: PasswordHasher.Algorithm.allCases)
    func hashPassword(algorithm: PasswordHasher.Algorithm) async throws {
        let result = try await CommandRunner.runAsync(["hash-password", "--algorithm", algorithm.rawValue, "--cost", "4"], input: "s3cret\n")
        #expect(result.status == 0, "\(result.stderr)")
        let stored = try StoredPassword.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).get()
        #expect(PasswordVerifier.verify(Array("s3cret".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("s3cret\n".utf8), against: stored))
        #expect(!result.stdout.contains("s3cret"))
    }

    @Test("hash-password refuses an empty password and a bad cost with exit 1")
    func hashPasswordInvalid() async throws {
        #expect(try await CommandRunner.runAsync(["hash-password"], input: "\n").status == 1)
        #expect(try await CommandRunner.runAsync(["hash-password", "--cost", "3"], input: "x\n").status == 1)
        #expect(try await CommandRunner.runAsync(["hash-password", "--algorithm", "md5"], input: "x\n").status == 1)
    }

    @Test("serve refuses an invalid config with exit 1 and the diagnostics")
    func serveInvalid() async throws {
        let file = try CommandRunner.temporaryFile("[listener]\nport = -1\n")
        let result = try await CommandRunner.runAsync(["serve", "--config", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):2: listener.port: must be a port in 0...65535"))
    }

    @Test("serve exits 2 when its port is in use")
    func portInUse() async throws {
        let config = """
            [listener]
            port = 0
            \(GatewayConfigs.users)
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:1"
            """
        let first = try ServeProcess(arguments: ["serve", "--config", try CommandRunner.temporaryFile(config)])
        let port = try #require(await first.waitForGatewayPort())
        let second = try await CommandRunner.runAsync([
            "serve", "--config", try CommandRunner.temporaryFile(config.replacingOccurrences(of: "port = 0", with: "port = \(port)")),
        ])
        #expect(second.status == 2)
        first.signal(SIGTERM)
        #expect(await first.waitForExit() == 0)
    }

    @Test("debug logs name the reason of a 401 as LEVEL LABEL: key=value lines, never the password")
    func rejectionLogLine() async throws {
        let config = """
            [listener]
            port = 0
            \(GatewayConfigs.users)
            [[service]]
            basePath = "/"
              [[service.auth]]
              fileUserStoreConfig = {}
              [[service.resource]]
              path = "/"
              respond = { body = "hi" }
            """
        let serve = try ServeProcess(arguments: ["serve", "--log-level", "debug", "--config", try CommandRunner.temporaryFile(config)])
        let port = try #require(await serve.waitForGatewayPort())
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/")
        request.headers.add(name: "Authorization", value: "Basic " + Array("alice:s3cret-Guess".utf8).base64())
        #expect(try await GatewayHarness.client.execute(request, timeout: .seconds(10)).status.code == 401)
        let line = try #require(await serve.waitForLine(containing: "request not authorized"))
        #expect(line.contains(" debug portcullis:"), "\(line)")
        #expect(line.contains("outcome=unauthenticated"), "\(line)")
        #expect(line.contains("request.id="), "\(line)")
        #expect(line.contains("password does not match"), "\(line)")
        #expect(!line.contains("s3cret-Guess"), "\(line)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit() == 0)
    }

    @Test("SIGTERM drains the in-flight request, then serve exits 0")
    func gracefulShutdown() async throws {
        let upstream = TestUpstream()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let upstreamGroup = ServiceGroup(services: [upstream.makeApplication { portSink.yield($0) }], logger: GatewayHarness.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await upstreamGroup.run() }
            var iterator = ports.makeAsyncIterator()
            let upstreamPort = try #require(await iterator.next())
            let config = """
                [listener]
                port = 0
                shutdownTimeoutSeconds = 20
                [[service]]
                basePath = "/"
                upstream = "http://127.0.0.1:\(upstreamPort)"
                """
            let serve = try ServeProcess(arguments: ["serve", "--config", try CommandRunner.temporaryFile(config)])
            let port = try #require(await serve.waitForGatewayPort())

            async let inFlight = GatewayHarness.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hold/drain"), timeout: .seconds(30))
            await upstream.gate.waitForArrivals(1)
            serve.signal(SIGTERM)
            #expect(await serve.waitForLine(containing: "graceful shutdown") != nil)
            await upstream.gate.open()
            let response = try await inFlight
            #expect(response.status.code == 200)
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(try JSONDecoder().decode(EchoedRequest.self, from: Data(buffer: body)).target == "/hold/drain")
            #expect(await serve.waitForExit() == 0)
            await upstreamGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A public service answering `/hello/<resource>`.
    static func reloadConfig(resource: String) -> String {
        """
        [listener]
        port = 0
        [[service]]
        name = "hello"
        basePath = "/hello"
        auth = []
          [[service.resource]]
          path = "/\(resource)"
          respond = { status = 200, body = "\(resource)" }
        """
    }

    static func status(port: Int, _ path: String) async throws -> UInt {
        try await GatewayHarness.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10)).status.code
    }

    @Test("SIGHUP reloads the config file; a broken one is logged as FILE:LINE: key.path and the running config keeps serving")
    func sighupReload() async throws {
        let file = try CommandRunner.temporaryFile(Self.reloadConfig(resource: "a"))
        let serve = try ServeProcess(arguments: ["serve", "--config", file])
        let port = try #require(await serve.waitForGatewayPort())
        #expect(try await Self.status(port: port, "/hello/a") == 200)
        #expect(try await Self.status(port: port, "/hello/b") == 404)

        try Data(Self.reloadConfig(resource: "b").utf8).write(to: URL(fileURLWithPath: file))
        serve.signal(SIGHUP)
        #expect(await serve.waitForLine(containing: "configuration reloaded") != nil)
        #expect(try await Self.status(port: port, "/hello/b") == 200)
        #expect(try await Self.status(port: port, "/hello/a") == 404)

        try Data((Self.reloadConfig(resource: "c") + "\n[listener]\nport = 1\n").utf8).write(to: URL(fileURLWithPath: file))
        serve.signal(SIGHUP)
        let problem = await serve.waitForLine(containing: "\(file):")
        #expect(problem?.contains("listener") == true, "\(problem ?? "no line")")
        #expect(await serve.waitForLine(containing: "configuration reload rejected") != nil)
        #expect(try await Self.status(port: port, "/hello/b") == 200)
        #expect(try await Self.status(port: port, "/hello/c") == 404)
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit() == 0)
    }

    @Test("serve --watch reloads when the config's symlink is swapped, as Kubernetes updates a mounted ConfigMap")
    func watchReload() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-watch-\(UUID().uuidString)").path
        let files = FileManager.default
        try files.createDirectory(atPath: folder + "/v1", withIntermediateDirectories: true)
        try files.createDirectory(atPath: folder + "/v2", withIntermediateDirectories: true)
        try Data(Self.reloadConfig(resource: "a").utf8).write(to: URL(fileURLWithPath: folder + "/v1/portcullis.toml"))
        try Data(Self.reloadConfig(resource: "b").utf8).write(to: URL(fileURLWithPath: folder + "/v2/portcullis.toml"))
        // Kubernetes' layout: FILE -> ..data/FILE, ..data -> a versioned folder.
        try files.createSymbolicLink(atPath: folder + "/..data", withDestinationPath: "v1")
        try files.createSymbolicLink(atPath: folder + "/portcullis.toml", withDestinationPath: "..data/portcullis.toml")
        // Both versions carry the same modification time: only the resolved path tells them apart.
        let sameTime = Date(timeIntervalSince1970: 1_700_000_000)
        try files.setAttributes([.modificationDate: sameTime], ofItemAtPath: folder + "/v1/portcullis.toml")
        try files.setAttributes([.modificationDate: sameTime], ofItemAtPath: folder + "/v2/portcullis.toml")

        let serve = try ServeProcess(arguments: ["serve", "--config", folder + "/portcullis.toml", "--watch"])
        let port = try #require(await serve.waitForGatewayPort())
        #expect(try await Self.status(port: port, "/hello/a") == 200)
        // The swap: a new link renamed over ..data, atomically.
        try files.createSymbolicLink(atPath: folder + "/..data_tmp", withDestinationPath: "v2")
        #expect(rename(folder + "/..data_tmp", folder + "/..data") == 0)
        #expect(await serve.waitForLine(containing: "configuration reloaded") != nil)
        #expect(try await Self.status(port: port, "/hello/b") == 200)
        #expect(try await Self.status(port: port, "/hello/a") == 404)
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit() == 0)
    }

    @Test("serve without --config runs the quickstart: 401, 403, 200 with Basic and with tokens from portcullis token")
    func quickstart() async throws {
        let serve = try ServeProcess(arguments: ["serve"])
        guard await serve.waitForLine(containing: "gateway listening") != nil else {
            Issue.record("the quickstart did not start (is port 9090 in use?)")
            return
        }
        let base = "http://127.0.0.1:9090/hello"
        func status(_ authorization: String?) async throws -> UInt {
            var request = HTTPClientRequest(url: base)
            if let authorization {
                request.headers.add(name: "Authorization", value: authorization)
            }
            return try await GatewayHarness.client.execute(request, timeout: .seconds(10)).status.code
        }
        func basic(_ credentials: String) -> String { "Basic " + Array(credentials.utf8).base64() }
        func bearer(_ arguments: [String]) async throws -> String {
            let result = try await CommandRunner.runAsync(["token"] + arguments)
            try #require(result.status == 0, "\(result.stderr)")
            return "Bearer " + result.stdout.trimmingCharacters(in: .newlines)
        }
        #expect(try await status(nil) == 401)
        #expect(try await status(basic("bob:bob123")) == 403)
        #expect(try await status(basic("alice:alice123")) == 200)
        #expect(try await status(bearer(["--sub", "carol"])) == 403)
        #expect(try await status(bearer(["--sub", "carol", "--scope", "hello"])) == 200)
        #expect(try await status(bearer(["--sub", "carol", "--scope", "hello", "--iss", "someone-else"])) == 401)
        serve.signal(SIGINT)
        #expect(await serve.waitForExit() == 0)
    }
}
