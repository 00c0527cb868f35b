import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// A real OAuth2 authorization server, django-oauth-toolkit (`Fixtures/oauth2_server.py`), run for a
/// test on loopback. Each server has its own database; the first one of a test run migrates a
/// template database that later servers copy (a fresh migration takes seconds, a copy well under one).
///
/// The server stops with ``stop()``, and on its own when the test process ends (it exits when its
/// standard input closes).
package final class OAuth2Server: TestServer, @unchecked Sendable {
    package static let script = JWTFixture.repository.appendingPathComponent("Tests/PortcullisGatewayTests/Fixtures/oauth2_server.py").path

    /// Seeded clients and users (see the script).
    package static let gateway = (id: "gateway", secret: "gateway-secret")
    package static let passwordClient = (id: "password-client", secret: "password-secret")
    package static let resourceServer = (id: "resource-server", secret: "resource-secret")

    package let port: Int
    package let origin: String
    private let process: RunningScript
    private let client: HTTPClient

    package var introspectionURL: String { self.origin + "/o/introspect/" }
    package var tokenURL: String { self.origin + "/o/token/" }

    private init(port: Int, origin: String, process: RunningScript, client: HTTPClient) {
        self.port = port
        self.origin = origin
        self.process = process
        self.client = client
    }

    /// Starts a server with a database of its own.
    ///
    /// - Parameter tls: serve HTTPS with this certificate chain and key; `ca` is what the test's own
    ///   calls (tokens, revocation) trust.
    /// - Parameter port: listen there (a server started again where another was); `nil`: any free port.
    /// - Parameter accessTokenSeconds: the lifetime of the access tokens it issues (`expires_in`);
    ///   `nil`: an hour.
    package static func start(
        tls: (certificate: String, key: String, ca: String)? = nil,
        port fixedPort: Int? = nil,
        accessTokenSeconds: Int? = nil
    ) async throws -> OAuth2Server {
        let template = try await Template.shared.folder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-oauth2-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: template + "/db.sqlite3", toPath: folder + "/db.sqlite3")
        var arguments = [Self.script, folder]
        if let tls { arguments += ["--tls", tls.certificate, tls.key] }
        if let fixedPort { arguments += ["--port", "\(fixedPort)"] }
        let environment = accessTokenSeconds.map { ["ACCESS_TOKEN_SECONDS": String($0)] } ?? [:]
        let (process, port) = try await RunningScript.launch(arguments, environment: environment, log: folder + "/server.log")
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        if let tls {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            tlsConfiguration.trustRoots = .file(tls.ca)
            configuration.tlsConfiguration = tlsConfiguration
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let origin = tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)"
        return OAuth2Server(port: port, origin: origin, process: process, client: client)
    }

    /// Starts a server, runs `body` with it, and stops it, whether `body` throws or not.
    package static func run<Result: Sendable>(
        tls: (certificate: String, key: String, ca: String)? = nil,
        accessTokenSeconds: Int? = nil,
        _ body: (OAuth2Server) async throws -> Result
    ) async throws -> Result {
        try await withTestServer({ try await Self.start(tls: tls, accessTokenSeconds: accessTokenSeconds) }, body)
    }

    /// Stops the server and waits until it has exited.
    package func stop() async {
        await self.process.stop()
        try? await self.client.shutdown()
    }

    /// An access token from the client-credentials grant.
    package func clientCredentialsToken(client: (id: String, secret: String) = OAuth2Server.gateway, scope: String) async throws -> String {
        try await self.token(client: client, form: ["grant_type": "client_credentials", "scope": scope])
    }

    /// An access token from the password grant of `password-client`.
    package func passwordToken(username: String, password: String, scope: String) async throws -> String {
        try await self.token(
            client: Self.passwordClient,
            form: ["grant_type": "password", "username": username, "password": password, "scope": scope]
        )
    }

    /// Revokes `token` at `/o/revoke_token/` (RFC 7009), as the client that holds it.
    package func revoke(_ token: String, client: (id: String, secret: String) = OAuth2Server.gateway) async throws {
        let response = try await self.post("/o/revoke_token/", form: ["token": token, "token_type_hint": "access_token"], client: client)
        try #require(response.status == .ok, "revocation answered \(response.status)")
    }

    /// Moves `token`'s expiry into the past (a fixture endpoint, not OAuth2).
    package func expire(_ token: String) async throws {
        let response = try await self.post("/test/expire", form: ["token": token], client: nil)
        try #require(response.status == .ok, "expire answered \(response.status)")
    }

    /// Token requests the server has received, by `grant_type`.
    package func tokenRequests() async throws -> [String: Int] {
        let response = try await self.client.execute(HTTPClientRequest(url: self.origin + "/test/tokens"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4096)
        return try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Int])
    }

    /// The last token request's form parameters (secrets left out) and x-* headers.
    package func lastTokenRequest() async throws -> (form: [String: String], headers: [String: String]) {
        let response = try await self.client.execute(HTTPClientRequest(url: self.origin + "/test/last-token-request"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 * 1024)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: [String: String]])
        return (json["form"] ?? [:], json["headers"] ?? [:])
    }

    /// Whether the server says `token` is active (introspected as the resource server), and the
    /// answer's `client_id` and `username`.
    package func introspect(_ token: String) async throws -> (active: Bool, clientID: String?, username: String?) {
        let response = try await self.post("/o/introspect/", form: ["token": token], client: Self.resourceServer)
        let body = try await response.body.collect(upTo: 64 * 1024)
        try #require(response.status == .ok, "introspection answered \(response.status)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        return (json["active"] as? Bool ?? false, json["client_id"] as? String, json["username"] as? String)
    }

    /// An access and refresh token from the password grant of `password-client`.
    package func passwordTokens(username: String, password: String, scope: String) async throws -> (access: String, refresh: String) {
        let response = try await self.post(
            "/o/token/",
            form: ["grant_type": "password", "username": username, "password": password, "scope": scope],
            client: Self.passwordClient
        )
        let body = try await response.body.collect(upTo: 64 * 1024)
        try #require(response.status == .ok, "token endpoint answered \(response.status)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        return (try #require(json["access_token"] as? String), try #require(json["refresh_token"] as? String))
    }

    /// How many introspection requests the server has received.
    package func introspectionCount() async throws -> Int {
        let response = try await self.client.execute(HTTPClientRequest(url: self.origin + "/test/introspections"), timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1024))
        return try #require(Int(body))
    }

    private func token(client: (id: String, secret: String), form: [String: String]) async throws -> String {
        let response = try await self.post("/o/token/", form: form, client: client)
        let body = try await response.body.collect(upTo: 64 * 1024)
        try #require(response.status == .ok, "token endpoint answered \(response.status): \(String(buffer: body))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        return try #require(json["access_token"] as? String)
    }

    private func post(_ path: String, form: [String: String], client: (id: String, secret: String)?) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: self.origin + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        if let client {
            request.headers.add(name: "authorization", value: "Basic " + Data("\(client.id):\(client.secret)".utf8).base64EncodedString())
        }
        var components = URLComponents()
        components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
        request.body = .bytes(ByteBuffer(string: components.percentEncodedQuery ?? ""))
        return try await self.client.execute(request, timeout: .seconds(30))
    }

    /// The migrated, seeded database every server starts from, made once per test run.
    private actor Template {
        static let shared = Template()
        private var made: Task<String, any Error>?

        func folder() async throws -> String {
            if let made { return try await made.value }
            let making = Task {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-oauth2-template-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                // Starting once migrates and seeds the database; the server is stopped at once.
                let (process, _) = try await RunningScript.launch([OAuth2Server.script, folder], environment: [:], log: folder + "/server.log")
                await process.stop()
                return folder
            }
            self.made = making
            return try await making.value
        }
    }
}

/// The fixture script as a child process: its first output line, its exit.
private final class RunningScript: @unchecked Sendable {
    private let process: ChildProcess
    private let input: Pipe

    private init(process: ChildProcess, input: Pipe) {
        self.process = process
        self.input = input
    }

    /// Runs the script and waits for its "ready PORT" line.
    static func launch(_ arguments: [String], environment: [String: String], log: String) async throws -> (RunningScript, Int) {
        let input = Pipe()
        let output = Pipe()
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        let process = try ChildProcess(
            try JWTFixture.python,
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            standardInput: .pipe(input),
            standardOutput: .pipe(output),
            standardError: .file(logHandle)
        )
        let script = RunningScript(process: process, input: input)
        let handle = output.fileHandleForReading
        let line: String = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var pending = Data()
                while !pending.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.readChunk()
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                }
                continuation.resume(returning: String(decoding: pending, as: UTF8.self))
            }
        }
        guard line.hasPrefix("ready "), let port = Int(line.dropFirst(6).prefix(while: \.isNumber)) else {
            await script.stop()
            let reason = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ExternalTool.Failure(command: "oauth2_server.py", output: "did not start: \(reason.suffix(2000))")
        }
        return (script, port)
    }

    /// Sends SIGTERM (the script unblocks it) and waits for the exit.
    func stop() async {
        await self.process.stop(signal: SIGTERM)
        try? self.input.fileHandleForWriting.close()
    }
}
