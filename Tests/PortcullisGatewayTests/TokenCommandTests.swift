import Foundation
import PortcullisConfig
import Testing
import PortcullisTestSupport

/// `portcullis token` (contract §2), run as a process; its tokens are checked by PyJWT, an
/// independent implementation, against public keys it generated itself.
@Suite("portcullis token")
struct TokenCommandTests {
    static let signed: [(key: String, alg: String)] = [
        ("rsa", "RS256"), ("rsa", "RS512"), ("rsa", "PS256"), ("rsa-traditional", "RS384"),
        ("ec", "ES256"), ("ec-traditional", "ES256"), ("ec384", "ES384"), ("ed", "EdDSA"),
    ]

    @Test("--key and --alg: PyJWT verifies the token and reads every claim given", arguments: Self.signed)
    func signsWithKey(key: String, alg: String) async throws {
        let fixture = try await JWTFixture.make()
        let result = try await CommandRunner.runAsync([
            "token", "--key", fixture.path("\(key).key"), "--alg", alg, "--iss", "issuer-x", "--sub", "svc",
            "--aud", "api", "--scope", "read write", "--exp", "120", "--kid", "k-9",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .newlines)
        let publicKey = key.replacingOccurrences(of: "-traditional", with: "")
        let verified = try await fixture.verify(token, key: publicKey, alg: alg, audience: "api")
        #expect(verified.error == nil, "\(verified.error ?? "")")
        #expect(verified.header["alg"] as? String == alg)
        #expect(verified.header["kid"] as? String == "k-9")
        #expect(verified.claims["iss"] as? String == "issuer-x")
        #expect(verified.claims["sub"] as? String == "svc")
        #expect(verified.claims["scope"] as? String == "read write")
        let issuedAt = try #require(verified.claims["iat"] as? Int)
        #expect(verified.claims["exp"] as? Int == issuedAt + 120)
        #expect(verified.claims["nbf"] as? Int == issuedAt)
        // Another key of the same family does not verify it.
        if key == "rsa" {
            #expect(try await fixture.verify(token, key: "rsa2", alg: alg).error?.contains("InvalidSignatureError") == true)
        }
    }

    @Test("HS256 with --key: the file's contents (without the final newline) are the secret")
    func signsWithSecret() async throws {
        let fixture = try await JWTFixture.make()
        let secret = "a-shared-secret-of-at-least-32-bytes"
        let file = try CommandRunner.temporaryFile(secret + "\n", name: "secret.txt")
        let result = try await CommandRunner.runAsync(["token", "--key", file, "--alg", "HS256", "--sub", "svc"])
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .newlines)
        #expect(try await fixture.verify(token, key: "secret:\(secret)", alg: "HS256").error == nil)
        #expect(try await fixture.verify(token, key: "secret:\(secret)\n", alg: "HS256").error != nil)
    }

    @Test("Without --key: RS256 with the development key, its kid and iss, verifiable with its public key")
    func developmentKey() async throws {
        let fixture = try await JWTFixture.make()
        let publicKey = try CommandRunner.temporaryFile(QuickstartDevelopmentKey.publicKeyPEM, name: "development.pub")
        let result = try await CommandRunner.runAsync(["token", "--sub", "alice"])
        #expect(result.status == 0, "\(result.stderr)")
        let verified = try await fixture.verify(result.stdout.trimmingCharacters(in: .newlines), key: publicKey, alg: "RS256")
        #expect(verified.error == nil, "\(verified.error ?? "")")
        #expect(verified.header["kid"] as? String == QuickstartDevelopmentKey.keyID)
        #expect(verified.claims["iss"] as? String == QuickstartDevelopmentKey.issuer)
        #expect(verified.claims["sub"] as? String == "alice")
        #expect(verified.claims["scope"] == nil)
        let issuedAt = try #require(verified.claims["iat"] as? Int)
        #expect(verified.claims["exp"] as? Int == issuedAt + 3600)
    }

    @Test("--claim adds custom claims as JSON, --jti the token's id, --key-password opens an encrypted PEM key")
    func customClaimsAndEncryptedKey() async throws {
        let fixture = try await JWTFixture.make()
        let result = try await CommandRunner.runAsync([
            "token", "--key", fixture.path("rsa-encrypted.key"), "--key-password", "keypass", "--sub", "svc", "--jti", "id-42",
            "--claim", #"roles=["admin","ops"]"#, "--claim", #"tenant="acme""#, "--claim", #"limits={"rps":5,"burst":true}"#,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let verified = try await fixture.verify(result.stdout.trimmingCharacters(in: .newlines), key: "rsa", alg: "RS256")
        #expect(verified.error == nil, "\(verified.error ?? "")")
        #expect(verified.claims["jti"] as? String == "id-42")
        #expect(verified.claims["roles"] as? [String] == ["admin", "ops"])
        #expect(verified.claims["tenant"] as? String == "acme")
        let limits = try #require(verified.claims["limits"] as? [String: Any])
        #expect(limits["rps"] as? Int == 5)
        #expect(limits["burst"] as? Bool == true)
    }

    @Test("Bad input: exit 1 with the reason, or 2 for an unreadable key; nothing on standard output")
    func badInput() async throws {
        let fixture = try await JWTFixture.make()
        let notAKey = try CommandRunner.temporaryFile("hello\n", name: "note.txt")
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--key", fixture.path("rsa.key"), "--alg", "ES256"], 1, "ES256 does not fit the key; it signs RS256, RS384, RS512, PS256, PS384, PS512"),
            (["--key", fixture.path("ec.key"), "--alg", "HS256"], 1, "ec.key: is a PEM key or certificate; HS256 needs a shared secret"),
            (["--key", fixture.path("rsa-encrypted.key")], 1, "the key is encrypted; give its password with --key-password"),
            (["--key", fixture.path("rsa-encrypted.key"), "--key-password", "wrong"], 1, "rsa-encrypted.key"),
            (["--key-password", "x"], 1, "--key-password needs --key"),
            (["--claim", "iss=\"x\""], 1, "--claim iss: a registered claim"),
            (["--claim", "roles"], 1, "--claim roles: write name=JSON"),
            (["--claim", "tenant=acme"], 1, "--claim tenant: the value is not JSON"),
            (["--claim", "scope=\"a\"", "--scope", "b"], 1, "--claim scope: given twice"),
            (["--key", fixture.path("rsa.pub")], 1, "holds no PEM private key"),
            (["--key", notAKey], 1, "\(notAKey): holds no PEM private key"),
            (["--key", "/nonexistent/key.pem"], 2, "/nonexistent/key.pem: cannot be read"),
            (["--alg", "ES256"], 1, "the development key is RSA: --alg ES256 needs --key"),
            (["--alg", "none"], 1, "none"),
            (["--exp", "0"], 1, "--exp must be between 1 and 31536000 seconds"),
        ]
        for (arguments, status, message) in cases {
            let result = try await CommandRunner.runAsync(["token"] + arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
    }
}
