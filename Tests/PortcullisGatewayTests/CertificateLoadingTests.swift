import Foundation
import Testing
import X509
import PortcullisTestSupport

/// Certificate, key and store problems stop `check` and `serve` with the file, line and key named.
@Suite("Certificate loading")
struct CertificateLoadingTests {
    static let service = """

        [[service]]
        basePath = "/"
        upstream = "http://127.0.0.1:8080"
        """

    /// Writes `listener` (the secureSocket table body) into a config beside the PKI and runs `check`.
    static func check(_ pki: TestPKI, _ secureSocket: String, extra: String = "") async throws -> CommandRunner.Result {
        let file = pki.path("gateway.toml")
        try "[listener.secureSocket]\n\(secureSocket)\n\(Self.service)\n\(extra)".write(toFile: file, atomically: true, encoding: .utf8)
        return try await CommandRunner.runAsync(["check", "--config", file])
    }

    static func makePKI() throws -> TestPKI {
        let pki = try TestPKI()
        let ca = try pki.authority("ca")
        try pki.server("server", issuer: ca)
        try pki.server("other", issuer: ca)
        try pki.server("expired", issuer: ca, notValidAfter: Date().addingTimeInterval(-60))
        try pki.encryptedKey("server", password: "right-password")
        try pki.pkcs12("server", password: "store-password")
        try pki.truststore("ca", password: "trust-password")
        return pki
    }

    @Test("each bad file is refused with exit 1, FILE:LINE: key.path and what is wrong; no password is printed")
    func refused() async throws {
        let pki = try Self.makePKI()
        let file = pki.path("gateway.toml")
        let cases: [(String, String)] = [
            (
                #"key = { certFile = "server.crt", keyFile = "server.enc.key", keyPassword = "wrong-password" }"#,
                "\(file):2: listener.secureSocket.key.keyFile: \(pki.path("server.enc.key")): cannot be decrypted (wrong keyPassword?)"
            ),
            (
                #"key = { certFile = "server.crt", keyFile = "server.enc.key" }"#,
                "\(file):2: listener.secureSocket.key.keyPassword: is required: \(pki.path("server.enc.key")) is an encrypted private key"
            ),
            (
                #"key = { certFile = "server.crt", keyFile = "other.key" }"#,
                "\(file):2: listener.secureSocket.key.keyFile: \(pki.path("other.key")): the private key does not match the certificate in \(pki.path("server.crt"))"
            ),
            (
                #"key = { certFile = "server.key", keyFile = "server.key" }"#,
                "\(file):2: listener.secureSocket.key.certFile: \(pki.path("server.key")): holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            ),
            (
                #"key = { path = "server.p12", password = "wrong-password" }"#,
                "\(file):2: listener.secureSocket.key.path: \(pki.path("server.p12")): cannot be opened: wrong password, or the file is damaged"
            ),
            (
                #"key = { path = "ca-trust.p12", password = "trust-password" }"#,
                "\(file):2: listener.secureSocket.key.path: \(pki.path("ca-trust.p12")): the keystore has no private key (is it a truststore?)"
            ),
            (
                #"key = { path = "server.crt", password = "store-password" }"#,
                "\(file):2: listener.secureSocket.key.path: \(pki.path("server.crt")): is not a PKCS#12 file"
            ),
            (
                "key = { path = \"server.p12\", password = \"store-password\" }\nmutualSsl = { cert = { path = \"ca-trust.p12\", password = \"wrong-password\" } }",
                "\(file):3: listener.secureSocket.mutualSsl.cert.path: \(pki.path("ca-trust.p12")): cannot be opened: wrong password, or the file is damaged"
            ),
        ]
        for (secureSocket, expected) in cases {
            let result = try await Self.check(pki, secureSocket)
            #expect(result.status == 1, "\(secureSocket)")
            #expect(result.stderr.split(separator: "\n").map(String.init) == [expected], "\(secureSocket)")
            #expect(!result.stderr.contains("password\"") && !result.stderr.contains("wrong-password") && !result.stderr.contains("store-password"))
        }
    }

    @Test("an expired certificate stops check and serve alike")
    func expired() async throws {
        let pki = try Self.makePKI()
        let file = pki.path("gateway.toml")
        let checked = try await Self.check(pki, #"key = { certFile = "expired.crt", keyFile = "expired.key" }"#)
        #expect(checked.status == 1)
        let line = try #require(checked.stderr.split(separator: "\n").first.map(String.init))
        #expect(line.hasPrefix("\(file):2: listener.secureSocket.key.certFile: \(pki.path("expired.crt")): the certificate expired on "))
        let served = try await CommandRunner.runAsync(["serve", "--config", file])
        #expect(served.status == 1)
        #expect(served.stderr.contains(line))
    }

    @Test("good PEM, encrypted, PKCS#12 and truststore settings pass check, with an upstream secureSocket")
    func accepted() async throws {
        let pki = try Self.makePKI()
        let upstream = """
              [service.upstreamClient]
              secureSocket = { cert = { path = "ca-trust.p12", password = "trust-password" }, key = { certFile = "server.crt", keyFile = "server.key" } }
            """
        for secureSocket in [
            #"key = { certFile = "server.crt", keyFile = "server.key" }"#,
            #"key = { certFile = "server.crt", keyFile = "server.enc.key", keyPassword = "right-password" }"#,
            "key = { path = \"server.p12\", password = \"store-password\" }\nmutualSsl = { verifyClient = \"OPTIONAL\", cert = { path = \"ca-trust.p12\", password = \"trust-password\" } }",
        ] {
            let result = try await Self.check(pki, secureSocket, extra: upstream)
            #expect(result.status == 0, "\(secureSocket): \(result.stderr)")
        }
        // A bad upstream CA file is named by its own key path.
        let bad = try await Self.check(
            pki,
            #"key = { certFile = "server.crt", keyFile = "server.key" }"#,
            extra: "  [service.upstreamClient]\n  secureSocket = { cert = \"server.key\" }"
        )
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(pki.path("gateway.toml")):8: service[0].upstreamClient.secureSocket.cert: \(pki.path("server.key")): holds no PEM certificate"))
    }

    @Test("JWT key files are checked by check too: an expired certificate, a missing alias, a bad file")
    func jwtKeyFiles() async throws {
        let fixture = try await JWTFixture.make()
        let file = fixture.path("jwt.toml")
        let cases: [(String, String)] = [
            (
                #"certFile = "rsa-expired.crt""#,
                "\(file):8: service[0].auth[0].jwtValidatorConfig.signatureConfig.certFile: \(fixture.path("rsa-expired.crt")): the certificate expired on"
            ),
            (
                #"certFile = "rsa.key""#,
                "\(file):8: service[0].auth[0].jwtValidatorConfig.signatureConfig.certFile: \(fixture.path("rsa.key")): holds no PEM certificate or public key"
            ),
            (
                #"trustStoreConfig = { trustStore = { path = "truststore.p12", password = "storepass" }, certAlias = "nobody" }"#,
                "\(file):8: service[0].auth[0].jwtValidatorConfig.signatureConfig.trustStoreConfig.certAlias: \(fixture.path("truststore.p12")) has no certificate with alias \"nobody\""
            ),
            (
                #"trustStoreConfig = { trustStore = { path = "truststore.p12", password = "wrong" } }"#,
                "\(file):8: service[0].auth[0].jwtValidatorConfig.signatureConfig.trustStoreConfig.trustStore.path: \(fixture.path("truststore.p12")): cannot be opened: wrong password, or the file is damaged"
            ),
        ]
        for (signature, expected) in cases {
            let toml = """
                [[service]]
                basePath = "/"
                upstream = "http://127.0.0.1:8080"
                  [[service.auth]]
                  [service.auth.jwtValidatorConfig]
                  issuer = "x"
                  [service.auth.jwtValidatorConfig.signatureConfig]
                  \(signature)
                """
            try toml.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", file])
            #expect(result.status == 1, "\(signature)")
            #expect(result.stderr.contains(expected), "\(signature): \(result.stderr)")
            #expect(!result.stderr.contains("storepass"))
        }
    }

    @Test("the LDAP CA file is checked at start: a file without a certificate stops check with its line")
    func ldapCAFile() async throws {
        let pki = try Self.makePKI()
        let file = pki.path("ldap.toml")
        let toml = """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              [service.auth.ldapUserStoreConfig]
              connectionUrl = "ldaps://127.0.0.1:6360"
              connectionName = "cn=gateway,dc=example,dc=com"
              connectionPassword = "gateway-secret"
              userSearchBase = "ou=people,dc=example,dc=com"
              secureClientSocket = { cert = "server.key" }
            """
        try toml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.runAsync(CommandRunner.executable.path, ["check", "--config", file])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "\(file):10: service[0].auth[0].ldapUserStoreConfig.secureClientSocket.cert: \(pki.path("server.key")): holds no PEM certificate"
            ),
            "\(result.stderr)"
        )
        #expect(!result.stderr.contains("gateway-secret"))
    }
}
