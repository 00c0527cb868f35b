import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisMetrics
import Testing
import PortcullisTestSupport

/// `ldapUserStoreConfig` end to end: a real slapd (`SlapdServer`, its log read to see what the
/// gateway sent), a real gateway and upstream on loopback.
@Suite("Gateway LDAP")
struct GatewayLDAPTests {
    static let people = "ou=people," + SlapdServer.base
    static let groups = "ou=groups," + SlapdServer.base

    static func config(url: String, scopes: String = #"["admin"]"#, record: String = "") -> String {
        GatewayConfigs.apiService(
            """
              [[service.auth]]
              scopes = \(scopes)
              [service.auth.ldapUserStoreConfig]
              domainName = "example.com"
              connectionUrl = "\(url)"
              connectionName = "\(SlapdServer.serviceDN)"
              connectionPassword = "\(SlapdServer.servicePassword)"
              userSearchBase = "\(Self.people)"
              userNameSearchFilter = "(&(objectClass=inetOrgPerson)(uid=?))"
              groupSearchBase = ["\(Self.groups)"]
              readTimeoutInMillis = 5000
              \(record)
            """
        )
    }

    static func basic(_ username: String, _ password: String) -> [(String, String)] {
        [("authorization", "Basic " + Array("\(username):\(password)".utf8).base64())]
    }

    @Test("In the group → 200 with the identity forwarded; in the directory without it → 403; wrong, unknown, empty, injected → 401 with escaped filters sent")
    func decisions() async throws {
        try await SlapdServer.run { directory in
            try await GatewayHarness.run(Self.config(url: directory.url)) { gateway in
                let allowed = try await gateway.get("/api/orders", headers: Self.basic("alice", "alice123"))
                #expect(allowed.status == 200)
                let echoed = try allowed.echoed()
                #expect(echoed.header("x-auth-subject") == ["alice"])
                #expect(echoed.header("x-auth-scopes") == ["admin staff"])
                #expect(echoed.header("x-auth-method") == ["basic_ldap"])
                // The directory's spelling of the name is the subject (uid matching ignores case).
                let upper = try await gateway.get("/api/orders", headers: Self.basic("ALICE", "alice123"))
                #expect(upper.status == 200)
                #expect(try upper.echoed().header("x-auth-subject") == ["alice"])
                for user in ["bob", "eve"] {
                    let response = try await gateway.get("/api/orders", headers: Self.basic(user, "\(user)123"))
                    #expect(response.status == 403, "\(user)")
                }
                let refused: [(String, String)] = [
                    ("alice", "wrong"), ("nobody", "x"), ("alice", ""), ("*", "alice123"), ("alice)(uid=*", "alice123"),
                    ("a\\29", "alice123"), ("alice\0", "alice123"), ("*)(|(uid=*", "alice123"),
                ]
                for (username, password) in refused {
                    let response = try await gateway.get("/api/orders", headers: Self.basic(username, password))
                    #expect(response.status == 401, "\(username.debugDescription):\(password.debugDescription)")
                    #expect(response.headers["www-authenticate"] == [#"Basic realm="portcullis""#])
                }
                // What reached the directory: every metacharacter escaped (RFC 4515), and binds as
                // alice only for alice, ALICE and the wrong password, none for the empty one.
                let log = try directory.log()
                for filter in [#"(uid=\2A)"#, #"(uid=alice\29\28uid=\2A)"#, #"(uid=a\5C29)"#, #"(uid=alice\00)"#, #"(uid=\2A\29\28|\28uid=\2A)"#] {
                    #expect(log.localizedCaseInsensitiveContains(filter), "\(filter) not in the slapd log")
                }
                #expect(!log.contains("(uid=*)"))
                let aliceBinds = log.split(separator: "\n").filter {
                    $0.contains(#"BIND dn="uid=alice,ou=people,dc=example,dc=com" method=128"#)
                }
                #expect(aliceBinds.count == 3)

                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="allowed"} 2"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="forbidden"} 2"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="unauthenticated"} 8"#))
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="ldap",outcome="unreachable"} 0"#))
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="ldap",outcome="error"} 0"#))
                #expect(metrics.contains(#"portcullis_idp_duration_seconds_count{kind="ldap"}"#))
                #expect(metrics.contains(#"portcullis_cache_lookups_total{cache="basic_ldap",result="miss"}"#))

                // A verified credential is cached: asking again sends nothing to the directory.
                let searches = log.components(separatedBy: " SRCH ").count
                #expect(try await gateway.get("/api/orders", headers: Self.basic("alice", "alice123")).status == 200)
                #expect(try directory.log().components(separatedBy: " SRCH ").count == searches)
                #expect(try await gateway.metrics().contains(#"portcullis_cache_lookups_total{cache="basic_ldap",result="hit"} 1"#))
            }
        }
    }

    @Test("slapd stopped → cached credentials 200, others 503 with retry-after; started again → 200 without restarting the gateway")
    func outageAndRecovery() async throws {
        try await SlapdServer.run { directory in
            try await GatewayHarness.run(Self.config(url: directory.url, scopes: #"["staff"]"#)) { gateway in
                #expect(try await gateway.get("/api/orders", headers: Self.basic("alice", "alice123")).status == 200)
                await directory.stop()
                #expect(try await gateway.get("/api/orders", headers: Self.basic("alice", "alice123")).status == 200)
                for _ in 0..<2 {
                    let down = try await gateway.get("/api/orders", headers: Self.basic("bob", "bob123"))
                    #expect(down.status == 503)
                    #expect(down.headers["retry-after"].first != nil)
                }
                // An outage is not a refusal: nothing about bob was cached.
                try await withTestServer({ try await directory.restarted() }) { _ in
                    let response = try await gateway.get("/api/orders", headers: Self.basic("bob", "bob123"))
                    #expect(response.status == 200)
                }
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="unavailable"} 2"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="allowed"} 3"#))
                #expect(!metrics.contains(#"portcullis_idp_requests_total{kind="ldap",outcome="unreachable"} 0"#))
            }
        }
    }

    @Test("ldaps:// with the directory's CA → 200; with another CA → 503 and nothing sent in clear")
    func ldaps() async throws {
        let (pki, tls) = try SlapdServer.tlsPKI()
        try await SlapdServer.run(tls: tls) { directory in
            let url = try #require(directory.tlsURL)
            let trusted = Self.config(url: url, scopes: #"["staff"]"#, record: #"secureClientSocket = { cert = "\#(pki.path("ldap-ca.crt"))" }"#)
            try await GatewayHarness.run(trusted) { gateway in
                let allowed = try await gateway.get("/api/orders", headers: Self.basic("bob", "bob123"))
                #expect(allowed.status == 200)
                let refused = try await gateway.get("/api/orders", headers: Self.basic("bob", "wrong"))
                #expect(refused.status == 401)
            }
            let binds = try directory.bindingConnections()
            #expect(binds >= 1)
            let untrusted = Self.config(url: url, scopes: #"["staff"]"#, record: #"secureClientSocket = { cert = "\#(pki.path("other-ca.crt"))" }"#)
            try await GatewayHarness.run(untrusted) { gateway in
                let response = try await gateway.get("/api/orders", headers: Self.basic("bob", "bob123"))
                #expect(response.status == 503)
                #expect(try await gateway.metrics().contains(#"portcullis_idp_requests_total{kind="ldap",outcome="success"} 0"#))
            }
            // The handshake failed before any LDAP message: no new bind reached the directory.
            #expect(try directory.bindingConnections() == binds)
        }
    }

    @Test("64 concurrent clients without a credential cache: every answer right, never more connections than the pool's size")
    func boundedLoad() async throws {
        try await SlapdServer.run { directory in
            let record = "connectionPoolSize = 4\n  cacheConfig = { capacity = 0 }"
            try await GatewayHarness.run(Self.config(url: directory.url, scopes: #"["staff"]"#, record: record)) { gateway in
                let users = [("alice", "alice123", 200), ("bob", "bob123", 200), ("eve", "eve123", 403), ("bob", "nope", 401)]
                // 64 connections of its own: the shared test client keeps 8 per host, behind which
                // 512 requests queued long enough on a loaded CI machine to time out in the client.
                var configuration = HTTPClient.Configuration()
                configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                let wrong: Int
                do {
                    wrong = try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<64 {
                            group.addTask {
                                var wrong = 0
                                for round in 0..<8 {
                                    let (user, password, status) = users[(index + round) % users.count]
                                    let response = try await gateway.get("/api/orders", headers: Self.basic(user, password), using: client)
                                    if response.status != status { wrong += 1 }
                                }
                                return wrong
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                } catch {
                    try await client.shutdown()
                    throw error
                }
                try await client.shutdown()
                #expect(wrong == 0)
                let metrics = try await gateway.metrics()
                #expect(metrics.contains(#"portcullis_idp_requests_total{kind="ldap",outcome="unreachable"} 0"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="allowed"} 256"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="forbidden"} 128"#))
                #expect(metrics.contains(#"portcullis_auth_decisions_total{service="/api",auth="basic_ldap",outcome="unauthenticated"} 128"#))
            }
            let connections = try directory.bindingConnections()
            #expect(connections >= 1 && connections <= 4, "slapd saw \(connections) connections bind")
        }
    }
}
