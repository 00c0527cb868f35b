import Testing

@testable import PortcullisConfig

@Suite("Config loading")
struct ConfigLoaderTests {
    static let valid = """
        [listener]
        host = "0.0.0.0"
        port = 9191
        shutdownTimeoutSeconds = 3

        [metrics]
        port = 9898

        [[ballerina.auth.users]]
        username = "alice"
        password = "@sha256:a4f6bd1a9dd3fa4d3e6b1e4ce48dfbe2e1dd5e22a0f5ec3c1da4a0fe1b0e3f0b"
        scopes = ["hello", "write"]

        [[ballerina.auth.users]]
        username = "bob"
        password = "$2y$10$R0uaQ2RuNc8iYMotNbdwl.CopJ5jQ/nKgMO/IF/HTDnWwqypLfHEm"

        [[service]]
        name = "orders"
        basePath = "/orders/"
        upstream = "http://127.0.0.1:8080/api/"
        hideCredentials = true
        forwardIdentity = true

          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = "hello"

          [[service.resource]]
          methods = ["get", "HEAD"]
          path = "/{id}/items/**"

          [[service.resource]]
          path = "/health"
          auth = []
          respond = { status = 204 }

          [service.upstreamClient]
          timeoutSeconds = 2.5
        """

    @Test("a complete configuration becomes typed values")
    func validConfiguration() throws {
        let config = try ConfigLoader.parse(Self.valid, file: "gw.toml")
        #expect(config.sourceFile == "gw.toml")
        #expect(config.listener == ListenerConfig(host: "0.0.0.0", port: 9191, shutdownTimeoutSeconds: 3))
        #expect(config.metrics == MetricsConfig(host: "127.0.0.1", port: 9898, path: "/metrics"))
        #expect(config.users.map(\.username) == ["alice", "bob"])
        #expect(config.users[0].scopes == ["hello", "write"])
        #expect(config.users[1].scopes == nil)
        guard case .sha256(let digest) = config.users[0].password else {
            Issue.record("expected a SHA-256 password")
            return
        }
        #expect(digest.count == 32)
        let service = try #require(config.services.first)
        #expect(service.name == "orders")
        #expect(service.basePath == "/orders")
        #expect(service.upstream == UpstreamURL(scheme: "http", host: "127.0.0.1", port: 8080, pathPrefix: "/api"))
        #expect(service.hideCredentials && service.forwardIdentity)
        #expect(service.auth == [AuthEntryConfig(method: .fileUserStore, scopes: ["hello"])])
        #expect(service.resources.count == 2)
        #expect(service.resources[0].methods == ["GET", "HEAD"])
        #expect(service.resources[0].path.description == "/{id}/items/**")
        #expect(service.resources[0].auth == nil)
        #expect(service.resources[1].auth == [])
        #expect(service.resources[1].respond == RespondConfig(status: 204, body: "", contentType: "text/plain"))
        #expect(service.upstreamClient.timeoutSeconds == 2.5)
        #expect(config.warnings.isEmpty)
    }

    @Test("the embedded quickstart is valid and matches the contract")
    func quickstart() throws {
        let config = ConfigLoader.quickstart()
        #expect(config.sourceFile == nil)
        #expect(config.listener.port == 9090)
        #expect(config.metrics?.port == 9797)
        #expect(config.users.map(\.username) == ["alice", "bob"])
        #expect(config.services.first?.resources.first?.respond?.body == "Hello, World!")
    }

    @Test("plain-text passwords are accepted with a warning that names the line")
    func plainTextWarning() throws {
        let source = """
            [[ballerina.auth.users]]
            username = "eve"
            password = "secret"

            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:1"
            """
        let config = try ConfigLoader.parse(source, file: "p.toml")
        #expect(config.warnings.map(\.description) == [
            "p.toml:3: ballerina.auth.users[0].password: plain-text password; store a hash instead (portcullis hash-password)"
        ])
        #expect(!config.warnings[0].description.contains("secret"))
    }

    @Test("a file that does not exist is a file error, not a config error")
    func missingFile() {
        #expect(throws: ConfigFileError.self) {
            try ConfigLoader.load(file: "/nonexistent/portcullis.toml")
        }
    }
}
