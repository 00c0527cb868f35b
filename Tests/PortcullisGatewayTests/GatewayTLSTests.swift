import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PortcullisMetrics
import Testing
import X509
import PortcullisTestSupport

/// HTTPS and mutual TLS on the listener, and TLS to upstreams, with certificates generated when
/// the tests run and independent clients (curl, `openssl s_client`, Python `ssl`).
@Suite("Gateway TLS")
struct GatewayTLSTests {
    /// A CA, a server certificate for localhost, client certificates for two subjects, one from
    /// another CA and one expired.
    static func makePKI() throws -> TestPKI {
        let pki = try TestPKI()
        let ca = try pki.authority("ca")
        let other = try pki.authority("other")
        try pki.server("server", issuer: ca)
        try pki.leaf(
            "billing",
            issuer: ca,
            subject: try DistinguishedName {
                OrganizationName("Example")
                CommonName("billing")
            },
            uris: ["spiffe://example.org/billing"]
        )
        try pki.leaf("reporting", issuer: ca, subject: try DistinguishedName { CommonName("reporting") })
        try pki.leaf("stranger", issuer: other, subject: try DistinguishedName { CommonName("billing") })
        try pki.leaf(
            "expired",
            issuer: ca,
            subject: try DistinguishedName {
                OrganizationName("Example")
                CommonName("billing")
            },
            notValidBefore: Date().addingTimeInterval(-7200),
            notValidAfter: Date().addingTimeInterval(-3600)
        )
        return pki
    }

    /// A listener with `mutualSsl` in `mode`; `/mtls` takes the mtls entry first, then Basic.
    static func mtlsConfig(_ pki: TestPKI, mode: String, key: String? = nil) -> String {
        """
        [listener]
        port = 0
        [listener.secureSocket]
        key = \(key ?? "{ certFile = \"\(pki.path("server.crt"))\", keyFile = \"\(pki.path("server.key"))\" }")
        mutualSsl = { verifyClient = "\(mode)", cert = "\(pki.path("ca.crt"))" }

        [metrics]
        port = 0

        \(GatewayConfigs.users)

        [[service]]
        name = "orders"
        basePath = "/mtls"
        upstream = "UPSTREAM"
        forwardIdentity = true
        [[service.auth]]
        mtls = { subjectScopes = { "CN=billing, O=Example" = ["orders:read"], "CN=reporting" = ["reports"] } }
        scopes = ["orders:read"]
        [[service.auth]]
        fileUserStoreConfig = {}
        scopes = ["orders:read", "write"]
        """
    }

    @Test("HTTPS with a PEM certificate and an encrypted PKCS#8 key: curl over HTTP/1.1 and HTTP/2 (ALPN)")
    func pemKeyHTTP1AndHTTP2() async throws {
        let pki = try Self.makePKI()
        try pki.encryptedKey("server", password: "s3cret")
        let key = "{ certFile = \"\(pki.path("server.crt"))\", keyFile = \"\(pki.path("server.enc.key"))\", keyPassword = \"s3cret\" }"
        let toml = """
            [listener]
            port = 0
            [listener.secureSocket]
            key = \(key)

            [[service]]
            name = "open"
            basePath = "/open"
            upstream = "UPSTREAM"
            auth = []
            """
        try await GatewayHarness.run(toml) { gateway in
            let http1 = try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("ca.crt"), ["--http1.1"])
            #expect(http1.status == 200)
            #expect(http1.httpVersion == "1.1")
            let http2 = try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("ca.crt"), ["--http2"])
            #expect(http2.status == 200)
            #expect(http2.httpVersion == "2")
            #expect(http2.body.contains("\"x-forwarded-proto\":[\"https\"]"))
            // TLS 1.1 is never offered.
            let old = try await TLSClients.curl(gateway.base + "/open/x", ca: pki.path("ca.crt"), ["--tlsv1.1", "--tls-max", "1.1"])
            #expect(old.status == 0)
            #expect(old.exitCode != 0)
        }
    }

    @Test("an HTTP/2 upload without content-length reaches the upstream whole (chunked toward HTTP/1.1)")
    func http2UploadWithoutLength() async throws {
        let pki = try Self.makePKI()
        let toml = """
            [listener]
            port = 0
            [listener.secureSocket]
            key = { certFile = "\(pki.path("server.crt"))", keyFile = "\(pki.path("server.key"))" }

            [[service]]
            name = "open"
            basePath = "/open"
            upstream = "UPSTREAM"
            auth = []
            """
        let upload = pki.path("upload.bin")
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: upload))
        var sum = TestUpstream.checksumSeed
        TestUpstream.checksum(bytes, into: &sum)
        let checksum = sum
        try await GatewayHarness.run(toml) { gateway in
            // A user-set chunked coding makes curl send no content-length; over HTTP/2 the body is
            // plain DATA frames.
            let response = try await TLSClients.curl(
                gateway.base + "/open/upload",
                ca: pki.path("ca.crt"),
                ["--http2", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + upload]
            )
            #expect(response.status == 200, "\(response.body)")
            #expect(response.httpVersion == "2")
            #expect(response.body.contains("\"bodyLength\":300000"), "\(response.body)")
            #expect(response.body.contains("\"bodyChecksum\":\(checksum)"), "\(response.body)")
            #expect(!response.body.contains("\"content-length\""), "\(response.body)")
        }
    }

    @Test("a TLS client that shuts its side after its requests (close_notify, or a bare FIN) gets every answer, then the close; an HTTP/2 connection is closed at once")
    func tlsHalfClose() async throws {
        let pki = try Self.makePKI()
        let toml = """
            [listener]
            port = 0
            [listener.secureSocket]
            key = { certFile = "\(pki.path("server.crt"))", keyFile = "\(pki.path("server.key"))" }

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
            path = "/"
            respond = { status = 200, body = "Hello over TLS" }
            """
        try await GatewayHarness.run(toml) { gateway in
            // Proxied requests: their answers come after the end of the input has been read.
            let requests = "GET /open/one HTTP/1.1\r\nHost: localhost\r\n\r\nGET /hello/ HTTP/1.1\r\nHost: localhost\r\n\r\nGET /open/two HTTP/1.1\r\nHost: localhost\r\n\r\n"
            for closeNotify in [true, false] {
                let output = try await TLSClients.pythonHalfClose(port: gateway.gatewayPort, ca: pki.path("ca.crt"), requests: requests, closeNotify: closeNotify)
                #expect(output.components(separatedBy: "HTTP/1.1 200 OK").count == 4, "close_notify \(closeNotify): \(output)")
                #expect(output.hasSuffix("\nEOF\n"), "close_notify \(closeNotify): \(output)")
            }
            // An HTTP/2 connection whose client shuts its side (close_notify) is closed by the
            // gateway at once, not left open until the idle timeout (60 s).
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.path("ca.crt")))
            tls.applicationProtocols = ["h2"]
            let context = try NIOSSLContext(configuration: tls)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                }
                .connect(host: "127.0.0.1", port: gateway.gatewayPort).get()
            // The connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
            var preface = channel.allocator.buffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            preface.writeBytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
            try await channel.writeAndFlush(preface).get()
            try await channel.close(mode: .output).get()
            // Bounded: past 20 s the test closes the connection itself and fails.
            let deadline = channel.eventLoop.scheduleTask(in: .seconds(20)) { channel.close(promise: nil) }
            try await channel.closeFuture.get()
            deadline.cancel()
            let outcome = try await deadline.futureResult.map { false }.recover { _ in true }.get()
            #expect(outcome, "the HTTP/2 connection stayed open after the client's close_notify")
        }
    }

    @Test("HTTPS with a PKCS#12 keystore: Python's ssl module verifies the chain and gets an answer")
    func pkcs12Keystore() async throws {
        let pki = try Self.makePKI()
        try pki.pkcs12("server", password: "p12pass")
        let toml = """
            [listener]
            port = 0
            [listener.secureSocket]
            key = { path = "\(pki.path("server.p12"))", password = "p12pass" }
            protocol = { name = "TLS", versions = ["TLSv1.3"] }

            [[service]]
            name = "hello"
            basePath = "/hello"
            auth = []
            [[service.resource]]
            path = "/"
            respond = { status = 200, body = "Hello over TLS" }
            """
        try await GatewayHarness.run(toml) { gateway in
            let outcome = try await TLSClients.python(port: gateway.gatewayPort, path: "/hello/", ca: pki.path("ca.crt"))
            #expect(outcome.status == 200, "\(outcome.detail)")
            #expect(outcome.detail.contains("TLSv1.3"))
            #expect(outcome.detail.contains("Hello over TLS"))
            // A client that trusts another CA refuses the gateway.
            let distrustful = try await TLSClients.python(port: gateway.gatewayPort, path: "/hello/", ca: pki.path("other.crt"))
            #expect(distrustful.status == 0, "\(distrustful.detail)")
        }
    }

    @Test("REQUIRE: no certificate, another CA's or an expired one end the handshake; a good one meets the mtls entry")
    func requireClientCertificates() async throws {
        let pki = try Self.makePKI()
        let metrics = PortcullisMetrics()
        try await GatewayHarness.run(Self.mtlsConfig(pki, mode: "REQUIRE"), metrics: metrics) { gateway in
            let ca = pki.path("ca.crt")
            let none = try await TLSClients.sClient(port: gateway.gatewayPort, path: "/mtls/x", ca: ca)
            #expect(none.status == 0, "\(none.detail)")
            #expect(none.detail.contains("alert"), "\(none.detail)")
            // Basic credentials do not help without a certificate: the handshake never completes.
            let basicOnly = try await TLSClients.curl(gateway.base + "/mtls/x", ca: ca, ["-u", "alice:alice123"])
            #expect(basicOnly.status == 0)

            let stranger = try await TLSClients.curl(
                gateway.base + "/mtls/x", ca: ca, ["--cert", pki.path("stranger.crt"), "--key", pki.path("stranger.key")])
            #expect(stranger.status == 0)
            let expired = try await TLSClients.python(
                port: gateway.gatewayPort, path: "/mtls/x", ca: ca, cert: pki.path("expired.crt"), key: pki.path("expired.key"))
            #expect(expired.status == 0, "\(expired.detail)")

            let billing = try await TLSClients.python(
                port: gateway.gatewayPort, path: "/mtls/x", ca: ca, cert: pki.path("billing.crt"), key: pki.path("billing.key"))
            #expect(billing.status == 200, "\(billing.detail)")
            let reporting = try await TLSClients.curl(
                gateway.base + "/mtls/x", ca: ca, ["--cert", pki.path("reporting.crt"), "--key", pki.path("reporting.key")])
            #expect(reporting.status == 403)

            let exposition = try await gateway.metrics()
            #expect(exposition.contains("portcullis_tls_handshake_failures_total{reason=\"no_client_certificate\"} 2"))
            #expect(exposition.contains("portcullis_tls_handshake_failures_total{reason=\"bad_client_certificate\"} 2"))
            #expect(exposition.contains("portcullis_auth_decisions_total{service=\"orders\",auth=\"mtls\",outcome=\"allowed\"} 1"))
            #expect(exposition.contains("portcullis_auth_decisions_total{service=\"orders\",auth=\"mtls\",outcome=\"forbidden\"} 1"))
        }
    }

    @Test("OPTIONAL: without a certificate the other entries decide; with one the upstream gets x-forwarded-client-cert")
    func optionalClientCertificates() async throws {
        let pki = try Self.makePKI()
        try await GatewayHarness.run(Self.mtlsConfig(pki, mode: "OPTIONAL")) { gateway in
            let ca = pki.path("ca.crt")
            let anonymous = try TLSClients.httpClient(ca: ca)
            let billing = try TLSClients.httpClient(ca: ca, cert: pki.path("billing.crt"), key: pki.path("billing.key"))
            try await TLSClients.shuttingDown([anonymous, billing]) {
                let forged = ("X-Forwarded-Client-Cert", "Hash=00;Subject=\"CN=admin\"")

                let noCredentials = try await gateway.get("/mtls/x", using: anonymous)
                #expect(noCredentials.status == 401)
                #expect(noCredentials.headers["www-authenticate"] == ["Basic realm=\"portcullis\""])
                let basic = try await gateway.get("/mtls/x", headers: [GatewayPolicyTests.basic("alice", "alice123"), forged], using: anonymous)
                #expect(basic.status == 200)
                let basicEcho = try basic.echoed()
                #expect(basicEcho.header("x-auth-method") == ["basic_file"])
                #expect(basicEcho.header("x-forwarded-client-cert").isEmpty)

                let withCertificate = try await gateway.get("/mtls/x", headers: [forged], using: billing)
                #expect(withCertificate.status == 200)
                let echoed = try withCertificate.echoed()
                #expect(echoed.header("x-auth-subject") == ["CN=billing,O=Example"])
                #expect(echoed.header("x-auth-method") == ["mtls"])
                #expect(echoed.header("x-forwarded-proto") == ["https"])
                let hash = try TestDigest.sha256Hex(ofCertificateFile: pki.path("billing.crt"))
                #expect(
                    echoed.header("x-forwarded-client-cert")
                        == ["Hash=\(hash);Subject=\"CN=billing,O=Example\";URI=spiffe://example.org/billing"]
                )
            }
            // A certificate from another CA is refused even when optional.
            let stranger = try await TLSClients.curl(
                gateway.base + "/mtls/x", ca: ca, ["--cert", pki.path("stranger.crt"), "--key", pki.path("stranger.key")])
            #expect(stranger.status == 0)
        }
    }

    @Test("an HTTPS upstream: our CA and client certificate work; the system roots or no client certificate give 502")
    func httpsUpstream() async throws {
        let pki = try Self.makePKI()
        let ca = try pki.authority("upstream-ca")
        try pki.server("upstream", issuer: ca)
        try pki.leaf("gw", issuer: ca, subject: try DistinguishedName { CommonName("gateway") })
        var upstreamTLS = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.path("upstream.crt")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.path("upstream.key"), format: .pem))
        )
        upstreamTLS.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.path("upstream-ca.crt")))
        upstreamTLS.certificateVerification = .noHostnameVerification
        upstreamTLS.shutdownTimeout = .milliseconds(100)
        let key = "key = { certFile = \"\(pki.path("gw.crt"))\", keyFile = \"\(pki.path("gw.key"))\" }"
        let toml = """
            [listener]
            port = 0

            [[service]]
            name = "trusted"
            basePath = "/trusted"
            upstream = "UPSTREAM"
            auth = []
            [service.upstreamClient]
            secureSocket = { cert = "\(pki.path("upstream-ca.crt"))", \(key) }

            [[service]]
            name = "nokey"
            basePath = "/nokey"
            upstream = "UPSTREAM"
            auth = []
            [service.upstreamClient]
            secureSocket = { cert = "\(pki.path("upstream-ca.crt"))" }

            [[service]]
            name = "system"
            basePath = "/system"
            upstream = "UPSTREAM"
            auth = []

            [[service]]
            name = "unverified"
            basePath = "/unverified"
            upstream = "UPSTREAM"
            auth = []
            [service.upstreamClient]
            secureSocket = { disable = true, \(key) }
            """
        try await GatewayHarness.run(toml, upstreamTLS: upstreamTLS) { gateway in
            let trusted = try await gateway.get("/trusted/x")
            #expect(trusted.status == 200)
            #expect(try trusted.echoed().target == "/trusted/x")
            #expect(try await gateway.get("/nokey/x").status == 502)
            // A failed handshake is a 502 at once, not after the connect timeout (5 s) that
            // async-http-client's retries used to wait out.
            let started = ContinuousClock.now
            #expect(try await gateway.get("/system/x").status == 502)
            #expect(ContinuousClock.now - started < .seconds(4))
            #expect(try await gateway.get("/unverified/x").status == 200)
        }
    }
}

/// SHA-256 of a certificate file's DER encoding, as `openssl` computes it.
enum TestDigest {
    static func sha256Hex(ofCertificateFile file: String) throws -> String {
        let result = try ExternalTool.run("openssl", ["x509", "-in", file, "-noout", "-fingerprint", "-sha256"])
        // "sha256 Fingerprint=AB:CD:..." (the prefix's case varies between OpenSSL versions)
        guard let equals = result.stdout.firstIndex(of: "=") else {
            throw ExternalTool.Failure(command: "openssl x509 -fingerprint", output: result.stdout + result.stderr)
        }
        return result.stdout[result.stdout.index(after: equals)...]
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ":", with: "")
            .lowercased()
    }
}
