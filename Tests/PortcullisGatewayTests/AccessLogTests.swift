import Foundation
import NIOCore
import PortcullisAuth
import PortcullisConfig
import Testing

@testable import PortcullisGateway
import PortcullisTestSupport

/// The access log: its line formats, its configuration, and a live gateway's log holding no secret.
@Suite("Access log")
struct AccessLogTests {
    static let time = ByteBuffer(string: "2026-12-01T20:30:12.345Z")

    static func line() -> AccessLogLine {
        var line = AccessLogLine(client: "192.0.2.7", method: "GET", target: "/api/orders?access_token=SECRET")
        line.status = 200
        line.bytes = 42
        line.duration = .microseconds(1_234)
        line.upstream = .microseconds(5)
        line.service = "api \"v1\""
        line.record(PolicyDecision(outcome: .allowed, principal: Principal(subject: "alice", scopes: ["read"], method: .jwt), method: .jwt))
        return line
    }

    @Test("a JSON line has every field, the path without its query, escaped strings and milliseconds with three decimals")
    func json() throws {
        var buffer = ByteBuffer()
        Self.line().write(.json, time: Self.time, into: &buffer)
        let text = String(buffer: buffer)
        #expect(text.hasSuffix("}\n"))
        #expect(!text.contains("SECRET"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-01T20:30:12.345Z")
        #expect(object["client"] as? String == "192.0.2.7")
        #expect(object["method"] as? String == "GET")
        #expect(object["path"] as? String == "/api/orders")
        #expect(object["status"] as? Int == 200)
        #expect(object["bytes"] as? Int == 42)
        #expect(object["duration_ms"] as? Double == 1.234)
        #expect(object["upstream_ms"] as? Double == 0.005)
        #expect(object["service"] as? String == "api \"v1\"")
        #expect(object["auth"] as? String == "jwt")
        #expect(object["outcome"] as? String == "allowed")
        #expect(object["subject"] as? String == "alice")
        #expect(object["reason"] == nil)
    }

    @Test("a text line is key=value, quoting values with spaces or quotes")
    func text() {
        var buffer = ByteBuffer()
        Self.line().write(.text, time: Self.time, into: &buffer)
        #expect(
            String(buffer: buffer)
                == #"time=2026-12-01T20:30:12.345Z client=192.0.2.7 method=GET path=/api/orders status=200 bytes=42 duration_ms=1.234 upstream_ms=0.005 service="api \"v1\"" auth=jwt outcome=allowed subject=alice"# + "\n"
        )
    }

    @Test("a refused Basic attempt names its reason and the user only as a keyed hash; a 403 says insufficient_scope")
    func refusals() {
        var refused = AccessLogLine(client: nil, method: "GET", target: "/x")
        refused.basicUser = "mallory"
        refused.record(PolicyDecision(outcome: .unauthenticated, method: .basicFile, failures: [AuthFailure(.wrongPassword, "wrong password")]))
        #expect(refused.reason == "wrong_password")
        #expect(refused.userHash == AccessLogLine.userHash("mallory"))
        #expect(refused.userHash?.count == 16)
        #expect(refused.userHash != AccessLogLine.userHash("mallory2"))
        var buffer = ByteBuffer()
        refused.write(.json, time: Self.time, into: &buffer)
        #expect(!String(buffer: buffer).contains("mallory"))

        var forbidden = AccessLogLine(client: nil, method: "GET", target: "/x")
        forbidden.basicUser = "bob"
        forbidden.record(PolicyDecision(outcome: .forbidden, principal: Principal(subject: "bob", scopes: [], method: .basicFile), method: .basicFile))
        #expect(forbidden.reason == "insufficient_scope")
        #expect(forbidden.subject == nil)
        #expect(forbidden.userHash == AccessLogLine.userHash("bob"))
    }

    @Test("[accessLog] takes format json or text and a path; anything else is an error at its line")
    func config() throws {
        let service = "\n[[service]]\nbasePath = \"/\"\nupstream = \"http://127.0.0.1:1\"\n"
        let good = try ConfigLoader.parse("[accessLog]\nformat = \"text\"\npath = \"/tmp/access.log\"\n" + service, file: "a.toml")
        #expect(good.accessLog == AccessLogConfig(format: .text, path: "/tmp/access.log"))
        #expect(try ConfigLoader.parse("[accessLog]\n" + service, file: "a.toml").accessLog == AccessLogConfig(format: .json, path: nil))
        #expect(try ConfigLoader.parse(service, file: "a.toml").accessLog == nil)
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[accessLog]\nformat = \"xml\"\n" + service, file: "a.toml") }
        do {
            _ = try ConfigLoader.parse("[accessLog]\n\nformat = \"xml\"\nlevel = 1\n" + service, file: "a.toml")
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                #"a.toml:3: accessLog.format: must be "json" or "text""#,
                "a.toml:4: accessLog.level: unknown key",
            ])
        }
    }

    @Test("a live gateway logs one JSON line per request, with the auth outcome, and no secret of any credential kind")
    func liveLogHoldsNoSecret() async throws {
        let fixture = try await JWTFixture.make()
        let token = try await fixture.token(["key": "rsa", "alg": "RS256", "claims": JWTFixture.claims()])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-access-\(UUID().uuidString).log").path
        let toml = """
            [listener]
            port = 0
            shutdownTimeoutSeconds = 5
            [accessLog]
            path = "\(log)"

            [[ballerina.auth.users]]
            username = "alice"
            password = "alice-pass-Zq9"
            scopes = ["read"]

            [[service]]
            name = "basic"
            basePath = "/basic"
            upstream = "UPSTREAM"
              [[service.auth]]
              fileUserStoreConfig = {}
              scopes = ["read"]

            [[service]]
            name = "jwt"
            basePath = "/jwt"
              [[service.auth]]
              scopes = ["read"]
              [service.auth.jwtValidatorConfig]
              issuer = "test-issuer"
              audience = "portcullis"
              [service.auth.jwtValidatorConfig.signatureConfig]
              certFile = "\(fixture.path("rsa.crt"))"
              [[service.resource]]
              path = "/"
              respond = { status = 200, body = "jwt" }
            """
        let secrets = ["alice-pass-Zq9", "mallory-pw-Kx1", "mallory", token, "garbage-token-Wv3", "SECRET-QUERY-Pp7", "cookie-value-Jm2",
            Data("alice:alice-pass-Zq9".utf8).base64EncodedString(), Data("mallory:mallory-pw-Kx1".utf8).base64EncodedString()]
        try await GatewayHarness.run(toml) { gateway in
            try await gateway.expect(200, "/basic/orders?access_token=SECRET-QUERY-Pp7", headers: [
                ("authorization", "Basic " + Data("alice:alice-pass-Zq9".utf8).base64EncodedString()), ("cookie", "session=cookie-value-Jm2"),
            ])
            try await gateway.expect(401, "/basic/orders", headers: [("authorization", "Basic " + Data("mallory:mallory-pw-Kx1".utf8).base64EncodedString())])
            try await gateway.expect(200, "/jwt/", headers: [("authorization", "Bearer \(token)")])
            try await gateway.expect(401, "/jwt/", headers: [("authorization", "Bearer garbage-token-Wv3")])
            try await gateway.expect(404, "/nowhere")
        }
        // The gateway has stopped: every line has been handed over and written.
        let text = try String(contentsOfFile: log, encoding: .utf8)
        for secret in secrets {
            #expect(!text.contains(secret), "the access log holds a secret")
        }
        let lines = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 5)
        let objects = lines.compactMap { $0 }
        #expect(objects.count == 5)
        guard objects.count == 5 else { return }
        #expect(objects.map { $0["status"] as? Int } == [200, 401, 200, 401, 404])
        #expect(objects.map { $0["path"] as? String } == ["/basic/orders", "/basic/orders", "/jwt/", "/jwt/", "/nowhere"])
        #expect(objects[0]["subject"] as? String == "alice")
        #expect(objects[0]["auth"] as? String == "basic_file")
        #expect(objects[0]["upstream_ms"] is Double)
        #expect(objects[1]["reason"] as? String == "unknown_user")
        #expect(objects[1]["user_hash"] as? String == AccessLogLine.userHash("mallory"))
        #expect(objects[2]["subject"] as? String == "alice")
        #expect(objects[3]["outcome"] as? String == "unauthenticated")
        #expect(objects[3]["reason"] != nil)
        #expect(objects[4]["service"] == nil)
        #expect(objects.allSatisfy { ($0["client"] as? String) == "127.0.0.1" && $0["time"] is String && $0["duration_ms"] is Double })
    }

    @Test("a forward-auth decision is logged with the original request's method and path")
    func forwardAuthDecisions() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-access-\(UUID().uuidString).log").path
        let toml = """
            [listener]
            port = 0
            [accessLog]
            path = "\(log)"
            [forwardAuth]

            [[ballerina.auth.users]]
            username = "alice"
            password = "alice-pass-Zq9"

            [[service]]
            name = "api"
            basePath = "/api"
              [[service.auth]]
              fileUserStoreConfig = {}
            """
        try await GatewayHarness.run(toml) { gateway in
            let original = [("X-Forwarded-Method", "POST"), ("X-Forwarded-Uri", "/api/orders?token=SECRET-Qz1")]
            try await gateway.expect(200, "/_portcullis/auth", headers: original + [
                ("authorization", "Basic " + Data("alice:alice-pass-Zq9".utf8).base64EncodedString()),
            ])
            try await gateway.expect(401, "/_portcullis/auth", headers: original)
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!text.contains("SECRET-Qz1"))
        let objects = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0["method"] as? String } == ["POST", "POST"])
        #expect(objects.map { $0["path"] as? String } == ["/api/orders", "/api/orders"])
        #expect(objects.map { $0["status"] as? Int } == [200, 401])
        #expect(objects.first?["subject"] as? String == "alice")
    }
}
