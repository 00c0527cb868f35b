import Logging
import PortcullisAuth
import PortcullisLDAP
import PortcullisTestSupport
import Testing

/// The actor-owned LDAP connection pool against a real slapd: bounded size under load, user binds
/// never leaking into service searches, outages closing connections, recovery after a restart.
@Suite("LDAP connection pool")
struct LDAPConnectionPoolTests {
    static func pool(_ url: String, size: Int) -> LDAPConnectionPool {
        LDAPConnectionPool(
            settings: .init(url: url, serviceDN: SlapdServer.serviceDN, servicePassword: SlapdServer.servicePassword, operationTimeoutSeconds: 5, size: size),
            logger: .quiet
        )
    }

    static let alice = "uid=alice,ou=people,dc=example,dc=com"

    @Test("64 concurrent clients through a pool of 4: every call succeeds and never more than 4 connections open")
    func bounded() async throws {
        try await SlapdServer.run { directory in
            let pool = Self.pool(directory.url, size: 4)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        do {
                            if index.isMultiple(of: 2) {
                                try await pool.verifyPassword(dn: Self.alice, password: "alice123")
                                return true
                            }
                            let found = try await pool.withServiceConnection { connection throws(LDAPError) in
                                try connection.search(base: SlapdServer.base, filter: "(uid=bob)", attributes: ["uid"])
                            }
                            return found.count == 1
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: true, count: 64))
            let load = await pool.load
            #expect(load.mostOpen <= 4)
            #expect(load.mostOpen >= 1)
        }
    }

    @Test("After a user's bind, right or wrong, the connection is the service account's again")
    func userBindsDoNotLeak() async throws {
        try await SlapdServer.run { directory in
            let pool = Self.pool(directory.url, size: 1)
            try await pool.verifyPassword(dn: Self.alice, password: "alice123")
            #expect(try await pool.withServiceConnection { connection throws(LDAPError) in try connection.whoAmI() } == "dn:" + SlapdServer.serviceDN)
            await #expect(throws: LDAPError.invalidCredentials) {
                try await pool.verifyPassword(dn: Self.alice, password: "wrong")
            }
            await #expect(throws: LDAPError.invalidCredentials) {
                try await pool.verifyPassword(dn: Self.alice, password: "")
            }
            #expect(try await pool.withServiceConnection { connection throws(LDAPError) in try connection.whoAmI() } == "dn:" + SlapdServer.serviceDN)
            #expect(await pool.load.open == 1)
        }
    }

    @Test("Directory stopped: unavailable and the connection closed; started again: the pool works without a restart")
    func recovers() async throws {
        let directory = try await SlapdServer.start()
        let pool = Self.pool(directory.url, size: 2)
        try await pool.verifyPassword(dn: Self.alice, password: "alice123")
        await directory.stop()
        await #expect {
            try await pool.verifyPassword(dn: Self.alice, password: "alice123")
        } throws: { error in
            if case .unavailable = error as? LDAPError { true } else { false }
        }
        #expect(await pool.load.open == 0)
        let again = try await directory.restarted()
        try await pool.verifyPassword(dn: Self.alice, password: "alice123")
        await again.stop()
    }
}
