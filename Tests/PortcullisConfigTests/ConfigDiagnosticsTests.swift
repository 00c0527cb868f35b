import Testing

@testable import PortcullisConfig

/// Each invalid configuration must be refused with `FILE:LINE: key.path: message`.
@Suite("Config diagnostics")
struct ConfigDiagnosticsTests {
    private func diagnostics(_ source: String) -> [String] {
        collectDiagnostics { try ConfigLoader.parse(source, file: "bad.toml") }
    }

    private static let service = """
        [[service]]
        basePath = "/"
        upstream = "http://127.0.0.1:8080"
        """

    @Test("a TOML syntax error carries its line")
    func syntaxError() {
        let found = self.diagnostics("[listener]\nport = \n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("bad.toml:2: (document): TOML syntax error"))
    }

    @Test("inputs the TOML parser would abort on are refused first: a table header without a key, a mismatched bracket, a NUL")
    func parserAborts() {
        // toml++ asserts (and aborts the process) on these; found by fuzzing.
        for header in ["[~a]", "[[ ~a]]", "[\n", "[#x]", "[é]", "[ .a]"] {
            #expect(
                self.diagnostics("x = 1\n\(header)\n")
                    == ["bad.toml:2: (document): TOML syntax error: a table header must start with a key (letters, digits, _ or -, or a quoted key)"],
                "\(header)"
            )
        }
        #expect(
            self.diagnostics("\u{FEFF}[\n")
                == ["bad.toml:1: (document): TOML syntax error: a table header must start with a key (letters, digits, _ or -, or a quoted key)"]
        )
        #expect(self.diagnostics("a = [\n}") == ["bad.toml:2: (document): TOML syntax error: a '}' where the array open before it needs a ']'"])
        #expect(self.diagnostics("a = [1, }") == ["bad.toml:1: (document): TOML syntax error: a '}' where the array open before it needs a ']'"])
        #expect(self.diagnostics("a = { b = [1] ]") == ["bad.toml:1: (document): TOML syntax error: a ']' where the inline table open before it needs a '}'"])
        #expect(self.diagnostics("[listener]\nport = 1 # a\u{0}b\n") == ["bad.toml:2: (document): TOML syntax error: a NUL character"])
        #expect(self.diagnostics("a = \"x\\\"\u{0}\"\n") == ["bad.toml:1: (document): TOML syntax error: a NUL character"])
    }

    @Test("the pre-check leaves valid documents alone: brackets inside values and strings are not headers")
    func parserPreflightValid() throws {
        let source = #"""
            [listener]
            port = 9090
            nested = [
            [{ a = 1 }],
            [ ~2 ],
            ]
            [metrics]
            path = """
            [~not a header]
            """
            [ "quoted" ]
            [[service]]
            basePath = "/a"
            upstream = "http://127.0.0.1:8080"
            name = 'single[~'
              [[service.auth]]
              scopes = [
                "a",
                "[~b]",
              ]
              fileUserStoreConfig = {}
            """#
        let found = self.diagnostics(source)
        // Past the TOML parser's pre-check (`[ ~2 ]` is the parser's own error, at line 5), never a
        // table-header refusal for a bracket inside a value or a string.
        #expect(!found.contains { $0.contains("table header") }, "\(found)")
    }

    @Test("unknown keys are refused at their line, at any depth")
    func unknownKeys() {
        let found = self.diagnostics(
            """
            [listener]
            port = 1
            colour = "blue"

            [[service]]
            basePath = "/a"
            upstream = "http://127.0.0.1:8080"

            [[service]]
            basePath = "/b"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              fileUserStoreConfig = { extra = 1 }
            """
        )
        #expect(found.contains("bad.toml:3: listener.colour: unknown key"))
        #expect(found.contains("bad.toml:13: service[1].auth[0].fileUserStoreConfig.extra: unknown key"))
    }

    @Test("wrong types name the expected and the found type")
    func wrongTypes() {
        let found = self.diagnostics(
            """
            [listener]
            port = "9090"
            shutdownTimeoutSeconds = true
            \(Self.service)
            hideCredentials = "yes"
            """
        )
        #expect(found.contains("bad.toml:2: listener.port: must be an integer, not a string"))
        #expect(found.contains("bad.toml:3: listener.shutdownTimeoutSeconds: must be a number of seconds, not a boolean"))
        #expect(found.contains("bad.toml:7: service[0].hideCredentials: must be true or false, not a string"))
    }

    @Test("bad upstream URLs are refused", arguments: [
        ("ftp://example.com", "must start with http:// or https://"),
        ("http://", "has an invalid host"),
        ("http://host:99999", "has an invalid port"),
        ("http://user:pw@host", "must not carry credentials; use upstreamClient.auth"),
        ("http://host/path?q=1", "must not carry a query or fragment"),
    ])
    func badURLs(url: String, message: String) {
        let found = self.diagnostics(
            """
            [[service]]
            basePath = "/"
            upstream = "\(url)"
            """
        )
        #expect(found == ["bad.toml:3: service[0].upstream: \"\(url)\" \(message)"])
        #expect(!found.joined().contains("pw@") || url.contains("pw@"))
    }

    @Test("duplicate base paths are refused at the second")
    func duplicateBasePaths() {
        let found = self.diagnostics(
            """
            [[service]]
            basePath = "/api"
            upstream = "http://127.0.0.1:8080"

            [[service]]
            basePath = "/api/"
            upstream = "http://127.0.0.1:8081"
            """
        )
        #expect(found == ["bad.toml:6: service[1].basePath: duplicates the basePath of service[0]"])
    }

    @Test("missing required keys point at their table")
    func missingRequired() {
        let found = self.diagnostics(
            """
            [[ballerina.auth.users]]
            username = "alice"

            [[service]]
            upstream = "http://127.0.0.1:8080"
            """
        )
        #expect(found.contains("bad.toml:1: ballerina.auth.users[0].password: is required"))
        #expect(found.contains("bad.toml:4: service[0].basePath: is required"))
    }

    @Test("listener TLS: missing files, unknown versions and bad verifyClient are refused at their lines")
    func listenerTLS() {
        let found = self.diagnostics(
            """
            [listener.secureSocket]
            key = { certFile = "/nonexistent/a.crt", keyFile = "/nonexistent/a.key" }
            mutualSsl = { verifyClient = "SOMETIMES", cert = "/nonexistent/ca.crt" }
            protocol = { name = "TLS", versions = ["TLSv1.1", "TLSv1.3"] }
            \(Self.service)
            """
        )
        #expect(found == [
            "bad.toml:2: listener.secureSocket.key.certFile: /nonexistent/a.crt: cannot be read",
            "bad.toml:2: listener.secureSocket.key.keyFile: /nonexistent/a.key: cannot be read",
            "bad.toml:3: listener.secureSocket.mutualSsl.cert: /nonexistent/ca.crt: cannot be read",
            "bad.toml:3: listener.secureSocket.mutualSsl.verifyClient: must be REQUIRE or OPTIONAL",
            "bad.toml:4: listener.secureSocket.protocol.versions[0]: \"TLSv1.1\" is not offered; use TLSv1.2 or TLSv1.3 (older versions are insecure)",
        ])
    }

    @Test("listener TLS needs a key, as PEM files or a keystore with its password")
    func listenerTLSKey() {
        #expect(self.diagnostics("[listener.secureSocket]\nciphers = []\n\(Self.service)") == [
            "bad.toml:1: listener.secureSocket: needs key: { certFile, keyFile } or { path, password }",
            "bad.toml:2: listener.secureSocket.ciphers: must be a non-empty array of cipher-suite names",
        ])
        #expect(self.diagnostics("[listener.secureSocket]\nkey = { path = \"/etc/hostname\" }\n\(Self.service)") == [
            "bad.toml:2: listener.secureSocket.key.password: is required",
        ])
    }

    @Test("an mtls entry needs mutualSsl on the listener and subjects that are distinguished names")
    func mtlsEntry() {
        let found = self.diagnostics(
            """
            \(Self.service)
              [[service.auth]]
              mtls = { subjectScopes = { "CN=a,O=b" = ["x"], "CN = a , o=b" = ["y"], "billing" = ["z"], "CN=c" = [""] } }
            """
        )
        #expect(found == [
            "bad.toml:5: service[0].auth[0].mtls: needs listener.secureSocket.mutualSsl: without it no client certificate is ever verified",
            "bad.toml:5: service[0].auth[0].mtls.subjectScopes.\"CN=a,O=b\": names the same subject as another key",
            "bad.toml:5: service[0].auth[0].mtls.subjectScopes.\"CN=c\"[0]: must be a non-empty scope token (printable ASCII, no spaces, quotes or backslashes)",
            "bad.toml:5: service[0].auth[0].mtls.subjectScopes.billing: is not a distinguished name in RFC 4514 form, such as \"CN=billing,O=Example\"",
        ])
    }

    @Test("an upstream secureSocket: cert with disable is contradictory; disable alone is a warning")
    func upstreamSecureSocket() throws {
        let found = self.diagnostics(
            """
            \(Self.service)
              [service.upstreamClient]
              secureSocket = { cert = "/nonexistent/ca.crt", disable = true }
            """
        )
        #expect(found == [
            "bad.toml:5: service[0].upstreamClient.secureSocket.cert: has no effect with disable = true; remove one of them"
        ])
        let config = try ConfigLoader.parse(
            "\(Self.service)\n  [service.upstreamClient]\n  secureSocket = { disable = true }\n",
            file: "ok.toml"
        )
        #expect(config.services[0].upstreamClient.secureSocket?.disable == true)
        #expect(config.warnings.map(\.description) == [
            "ok.toml:5: service[0].upstreamClient.secureSocket.disable: server certificates are not verified: anyone on the network path can impersonate the server"
        ])
    }

    @Test("invalid stored passwords are refused without echoing them", arguments: [
        ("$2b$03$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE", "bcrypt cost 3 is outside 4...31"),
        ("$2b$10$short", "not a valid bcrypt hash (expected $2a$, $2b$ or $2y$, a two-digit cost and 53 characters)"),
        ("@sha256:abc", "@sha256 needs exactly 64 hexadecimal digits, as @sha256:HEX or @sha256:{HEX}"),
        ("@sha256:{abc}", "@sha256 needs exactly 64 hexadecimal digits, as @sha256:HEX or @sha256:{HEX}"),
        ("@sha512:zz", "@sha512 needs exactly 128 hexadecimal digits, as @sha512:HEX or @sha512:{HEX}"),
        (
            "@sha384:abcd",
            "unsupported password format; accepted: a bcrypt hash ($2a$, $2b$ or $2y$), @sha256:HEX or @sha512:HEX (the digest of the password in hexadecimal, with or without braces: @sha256:{HEX}), or plain text"
        ),
    ])
    func badPasswords(stored: String, message: String) {
        let found = self.diagnostics(
            """
            [[ballerina.auth.users]]
            username = "alice"
            password = "\(stored)"
            \(Self.service)
            """
        )
        #expect(found == ["bad.toml:3: ballerina.auth.users[0].password: \(message)"])
    }

    @Test("auth entries need exactly one method and sensible scopes")
    func authEntries() {
        let found = self.diagnostics(
            """
            [[ballerina.auth.users]]
            username = "alice"
            password = "@sha256:a4f6bd1a9dd3fa4d3e6b1e4ce48dfbe2e1dd5e22a0f5ec3c1da4a0fe1b0e3f0b"
            \(Self.service)
              [[service.auth]]
              scopes = ["a"]

              [[service.auth]]
              fileUserStoreConfig = {}
              scopes = []

              [[service.auth]]
              fileUserStoreConfig = {}
              scopes = [1]

              [[service.auth]]
              fileUserStoreConfig = {}
              scopes = ["ok", "a b"]
            """
        )
        #expect(found.contains("bad.toml:20: service[0].auth[3].scopes[1]: must be a non-empty scope token (printable ASCII, no spaces, quotes or backslashes)"))
        #expect(found.contains { $0.hasPrefix("bad.toml:7: service[0].auth[0]: needs one of fileUserStoreConfig") })
        #expect(found.contains("bad.toml:12: service[0].auth[1].scopes: must not be empty; remove the key to only authenticate"))
        #expect(found.contains("bad.toml:16: service[0].auth[2].scopes[0]: must be a string, not an integer"))
    }

    @Test("a file user store entry needs users")
    func fileStoreWithoutUsers() {
        let found = self.diagnostics(
            """
            \(Self.service)
              [[service.auth]]
              fileUserStoreConfig = {}
            """
        )
        #expect(found == ["bad.toml:5: service[0].auth[0].fileUserStoreConfig: the file user store is empty; add [[ballerina.auth.users]]"])
    }

    @Test("resources are checked: paths, methods, respond, duplicates")
    func resources() {
        let found = self.diagnostics(
            """
            [[service]]
            basePath = "/"

              [[service.resource]]
              path = "/a/../b"
              respond = {}

              [[service.resource]]
              path = "/x"
              methods = ["G ET"]
              respond = { status = 700 }

              [[service.resource]]
              path = "/y"

              [[service.resource]]
              path = "/z"
              respond = {}

              [[service.resource]]
              path = "/z/"
              respond = {}
            """
        )
        #expect(found.contains("bad.toml:5: service[0].resource[0].path: \"/a/../b\" has an invalid segment \"..\""))
        #expect(found.contains("bad.toml:10: service[0].resource[1].methods[0]: \"G ET\" is not an HTTP method"))
        #expect(found.contains("bad.toml:11: service[0].resource[1].respond.status: must be an HTTP status in 200...599"))
        #expect(found.contains("bad.toml:13: service[0].resource[2]: needs respond, since the service has no upstream (or [forwardAuth], for a resource that only serves decisions)"))
        #expect(found.contains("bad.toml:21: service[0].resource[4].path: duplicates resource[3] for the same methods"))
    }

    @Test("a configuration without services is refused")
    func noServices() {
        #expect(self.diagnostics("[listener]\nport = 1\n") == ["bad.toml:1: (document): at least one [[service]] is required"])
    }

    @Test("every problem is reported, in line order")
    func everyProblem() {
        let found = self.diagnostics(
            """
            [listener]
            port = 70000
            [metrics]
            path = "metrics"
            \(Self.service)
            """
        )
        #expect(found == [
            "bad.toml:2: listener.port: must be a port in 0...65535",
            "bad.toml:4: metrics.path: must be a path starting with /",
        ])
    }
}
