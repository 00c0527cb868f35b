import Foundation
import Testing

/// Keys, certificates, a trust store, key sets and tokens made by an independent implementation
/// (PyJWT and pyca/cryptography, `Fixtures/jwt_fixture.py`) when the tests run; none are checked in.
///
/// The Python environment is the one `scripts/test.sh` makes (`.build/test-python`), or the
/// interpreter named by `PORTCULLIS_TEST_PYTHON`.
package struct JWTFixture: Sendable {
    package let folder: String

    /// The repository's root: this file is `Tests/PortcullisTestSupport/JWTFixture.swift`.
    package static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    package static let script = repository.appendingPathComponent("Tests/PortcullisGatewayTests/Fixtures/jwt_fixture.py").path

    package static var python: String {
        get throws {
            if let named = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_PYTHON"] { return named }
            let venv = repository.appendingPathComponent(".build/test-python/bin/python").path
            guard FileManager.default.isExecutableFile(atPath: venv) else {
                throw ExternalTool.Failure(
                    command: "python",
                    output: "\(venv) is missing: run scripts/test.sh once (it installs PyJWT and cryptography there)"
                )
            }
            return venv
        }
    }

    /// Generates every key, certificate and key set in a new folder.
    package static func make() async throws -> JWTFixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-jwt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let result = try await ExternalTool.runAsync(try Self.python, [Self.script, "keys", folder])
        guard result.status == 0 else { throw ExternalTool.Failure(command: "jwt_fixture.py keys", output: result.stderr) }
        return JWTFixture(folder: folder)
    }

    package func path(_ name: String) -> String { "\(self.folder)/\(name)" }

    /// One token per spec (see `jwt_fixture.py`), in order.
    package func tokens(_ specs: [[String: any Sendable]]) async throws -> [String] {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: specs), as: UTF8.self)
        let result = try await ExternalTool.runAsync(try Self.python, [Self.script, "tokens", self.folder], input: input)
        guard result.status == 0 else { throw ExternalTool.Failure(command: "jwt_fixture.py tokens", output: result.stderr) }
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    package func token(_ spec: [String: any Sendable]) async throws -> String {
        try #require(try await self.tokens([spec]).first)
    }

    /// PyJWT's view of a token: its header and claims when it verifies, or why not.
    package struct Verified {
        package var header: [String: Any] = [:]
        package var claims: [String: Any] = [:]
        package var error: String?
    }

    /// Verifies `token` with PyJWT against `key` (a fixture key name, whose `.pub` is used; an
    /// absolute path to a PEM public key; or `secret:TEXT`), allowing only `alg`.
    package func verify(_ token: String, key: String, alg: String, audience: String? = nil) async throws -> Verified {
        var spec: [String: any Sendable] = ["token": token, "key": key, "alg": alg]
        if let audience { spec["audience"] = audience }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: [spec]), as: UTF8.self)
        let result = try await ExternalTool.runAsync(try Self.python, [Self.script, "verify", self.folder], input: input)
        guard result.status == 0 else { throw ExternalTool.Failure(command: "jwt_fixture.py verify", output: result.stderr) }
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let answer = try #require(answers.first)
        return Verified(
            header: answer["header"] as? [String: Any] ?? [:],
            claims: answer["claims"] as? [String: Any] ?? [:],
            error: answer["error"] as? String
        )
    }

    /// Claims every test token carries unless a test says otherwise.
    package static func claims(scope: String = "read", expiresIn: Int = 300, extra: [String: any Sendable] = [:]) -> [String: any Sendable] {
        var claims: [String: any Sendable] = [
            "iss": "test-issuer", "aud": ["portcullis", "other"], "sub": "alice", "scope": scope, "exp": expiresIn < 0 ? "now\(expiresIn)" : "now+\(expiresIn)",
        ]
        for (name, value) in extra { claims[name] = value }
        return claims
    }
}
