import PortcullisAuth
import PortcullisLDAP
import PortcullisTestSupport
import Testing

/// libldap through `LDAPConnection` against a real slapd (`SlapdServer`): binds, searches,
/// RFC 4515 escaping, and what an outage looks like. Every call runs on the blocking pool.
@Suite("LDAP connection")
struct LDAPConnectionTests {
    static let userFilter = "(&(objectClass=inetOrgPerson)(uid=?))"

    /// Runs `work` with a new connection to `url` on the blocking pool.
    static func withConnection<Value: Sendable>(
        _ url: String,
        operationTimeoutSeconds: Double = 5,
        caFile: String? = nil,
        verifyServer: Bool = true,
        _ work: @escaping @Sendable (LDAPConnection) throws(LDAPError) -> Value
    ) async throws -> Value {
        let outcome: Result<Value, LDAPError>? = await BlockingWorkPool.shared.run {
            do throws(LDAPError) {
                let connection = try LDAPConnection(
                    url: url,
                    connectTimeoutSeconds: 2,
                    operationTimeoutSeconds: operationTimeoutSeconds,
                    caFile: caFile,
                    verifyServer: verifyServer
                )
                return .success(try work(connection))
            } catch {
                return .failure(error)
            }
        }
        return try #require(outcome).get()
    }

    @Test("The service account finds a user by an escaped filter, and the user's groups by DN and by uid")
    func searches() async throws {
        try await SlapdServer.run { directory in
            let (users, groups, posix) = try await Self.withConnection(directory.url) { connection throws(LDAPError) in
                try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
                let users = try connection.search(
                    base: "ou=people," + SlapdServer.base,
                    filter: LDAPFilter.substitute("alice", into: Self.userFilter),
                    attributes: ["uid", "cn"]
                )
                let groups = try connection.search(
                    base: "ou=groups," + SlapdServer.base,
                    filter: "(&(objectClass=groupOfNames)(member=\(LDAPFilter.escape(users.first?.dn ?? ""))))",
                    attributes: ["cn"]
                )
                let posix = try connection.search(
                    base: "ou=groups," + SlapdServer.base,
                    filter: "(&(objectClass=posixGroup)(memberUid=alice))",
                    attributes: ["cn"]
                )
                return (users, groups, posix)
            }
            #expect(users == [LDAPEntry(dn: "uid=alice,ou=people,dc=example,dc=com", attributes: ["uid": ["alice"], "cn": ["Alice"]])])
            #expect(Set(groups.flatMap { $0.values("CN") }) == ["admin", "staff"])
            #expect(posix.map(\.dn) == ["cn=developers,ou=groups,dc=example,dc=com"])
        }
    }

    @Test("ldaps:// trusts only the CA file given; another CA is unavailable, saying a certificate may be why; verification off accepts any")
    func ldaps() async throws {
        let (pki, tls) = try SlapdServer.tlsPKI()
        try await SlapdServer.run(tls: tls) { directory in
            let url = try #require(directory.tlsURL)
            let bind: @Sendable (LDAPConnection) throws(LDAPError) -> String = { connection throws(LDAPError) in
                try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
                return try connection.whoAmI()
            }
            #expect(try await Self.withConnection(url, caFile: pki.path("ldap-ca.crt"), bind) == "dn:" + SlapdServer.serviceDN)
            #expect(try await Self.withConnection(url, caFile: pki.path("other-ca.crt"), verifyServer: false, bind) == "dn:" + SlapdServer.serviceDN)
            do {
                _ = try await Self.withConnection(url, caFile: pki.path("other-ca.crt"), bind)
                Issue.record("a server certificate from another CA was accepted")
            } catch let error as LDAPError {
                guard case .unavailable(let reason) = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(reason.contains("untrusted server certificate"), "\(reason)")
            }
        }
    }

    @Test("A user binds with the right password; a wrong, empty or unknown one is invalid credentials")
    func binds() async throws {
        try await SlapdServer.run { directory in
            let alice = "uid=alice,ou=people,dc=example,dc=com"
            try await Self.withConnection(directory.url) { connection throws(LDAPError) in try connection.bind(dn: alice, password: "alice123") }
            for (dn, password) in [(alice, "wrong"), (alice, ""), ("uid=nobody,ou=people,dc=example,dc=com", "x")] {
                await #expect(throws: LDAPError.invalidCredentials) {
                    try await Self.withConnection(directory.url) { connection throws(LDAPError) in try connection.bind(dn: dn, password: password) }
                }
            }
        }
    }

    @Test(
        "Filter metacharacters in a user name match nobody once escaped (unescaped, '*' would match every user)",
        arguments: ["*", "alice)(uid=*", "a\\29", "alice\0", "(uid=*)", "*)(|(uid=*"]
    )
    func injection(name: String) async throws {
        #expect(LDAPFilter.substitute(name, into: Self.userFilter).contains("uid=" + name) == false)
        try await SlapdServer.run { directory in
            let (escaped, unescaped) = try await Self.withConnection(directory.url) { connection throws(LDAPError) in
                try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
                let escaped = try connection.search(base: SlapdServer.base, filter: LDAPFilter.substitute(name, into: Self.userFilter), attributes: ["uid"])
                let unescaped = try connection.search(base: SlapdServer.base, filter: "(&(objectClass=inetOrgPerson)(uid=*))", attributes: ["uid"])
                return (escaped, unescaped)
            }
            #expect(escaped.isEmpty)
            #expect(unescaped.count == 3)
        }
    }

    @Test("A stopped directory and one that never answers are unavailable, within the operation timeout")
    func outages() async throws {
        let directory = try await SlapdServer.start()
        await directory.stop()
        await #expect {
            try await Self.withConnection(directory.url) { connection throws(LDAPError) in
                try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
            }
        } throws: { error in
            if case .unavailable = error as? LDAPError { true } else { false }
        }
        await #expect {
            try await Self.withConnection("ldap://127.0.0.1:\(RefusingPort.silentPort)", operationTimeoutSeconds: 1) { connection throws(LDAPError) in
                try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
            }
        } throws: { error in
            if case .unavailable = error as? LDAPError { true } else { false }
        }
        // Started again on the same database and port, it answers again.
        let again = try await directory.restarted()
        try await Self.withConnection(again.url) { connection throws(LDAPError) in
            try connection.bind(dn: SlapdServer.serviceDN, password: SlapdServer.servicePassword)
        }
        await again.stop()
    }
}
