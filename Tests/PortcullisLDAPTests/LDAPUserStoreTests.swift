import Logging
import PortcullisAuth
import PortcullisLDAP
import PortcullisTestSupport
import Testing

/// The LDAP user store's whole flow (find the user, bind as them, collect their groups) against a
/// real slapd: scopes from groupOfNames and posixGroup, refusals, injection attempts, caching, outages.
@Suite("LDAP user store")
struct LDAPUserStoreTests {
    static func store(_ directory: SlapdServer, _ settings: LDAPUserStore.Settings? = nil) -> LDAPUserStore {
        let pool = LDAPConnectionPool(
            settings: .init(url: directory.url, serviceDN: SlapdServer.serviceDN, servicePassword: SlapdServer.servicePassword, operationTimeoutSeconds: 5, size: 2),
            logger: .quiet
        )
        return LDAPUserStore(
            pool: pool,
            settings: settings ?? .init(userSearchBases: ["ou=people," + SlapdServer.base], groupSearchBases: ["ou=groups," + SlapdServer.base])
        )
    }

    static func basic(_ username: String, _ password: String) -> AuthRequest {
        AuthRequest(credential: .basic(BasicCredentials(username: username, password: password)))
    }

    static func scopes(_ result: AuthenticationResult) -> [String]? {
        if case .authenticated(let principal) = result { principal.scopes.sorted() } else { nil }
    }

    static func code(_ result: AuthenticationResult) -> AuthFailure.Code? {
        switch result {
        case .authenticated: nil
        case .unauthenticated(let failure), .unavailable(let failure): failure.code
        }
    }

    @Test("Group names become scopes: alice admin and staff, bob staff, eve none; the subject is the user name")
    func groups() async throws {
        try await SlapdServer.run { directory in
            let store = Self.store(directory)
            #expect(Self.scopes(await store.authenticate(Self.basic("alice", "alice123"))) == ["admin", "staff"])
            #expect(Self.scopes(await store.authenticate(Self.basic("bob", "bob123"))) == ["staff"])
            #expect(Self.scopes(await store.authenticate(Self.basic("eve", "eve123"))) == [])
            guard case .authenticated(let principal) = await store.authenticate(Self.basic("bob", "bob123")) else {
                Issue.record("bob was not authenticated")
                return
            }
            #expect(principal.subject == "bob" && principal.method == .basicLDAP)
        }
    }

    @Test("memberUid groups match the user's uid, not the DN")
    func memberUid() async throws {
        try await SlapdServer.run { directory in
            let store = Self.store(
                directory,
                .init(
                    userSearchBases: ["ou=people," + SlapdServer.base],
                    groupSearchBases: ["ou=groups," + SlapdServer.base],
                    groupNameListFilter: "(objectClass=posixGroup)",
                    membershipAttribute: "memberUid"
                )
            )
            #expect(Self.scopes(await store.authenticate(Self.basic("alice", "alice123"))) == ["developers"])
            #expect(Self.scopes(await store.authenticate(Self.basic("bob", "bob123"))) == [])
        }
    }

    @Test(
        "Wrong password, unknown user, empty password and filter metacharacters are not authenticated",
        arguments: [
            ("alice", "wrong", AuthFailure.Code.wrongPassword),
            ("nobody", "x", .unknownUser),
            ("alice", "", .wrongPassword),
            ("*", "alice123", .unknownUser),
            ("alice)(uid=*", "alice123", .unknownUser),
            ("a\\29", "alice123", .unknownUser),
            ("alice\0", "alice123", .unknownUser),
        ]
    )
    func refusals(username: String, password: String, code: AuthFailure.Code) async throws {
        try await SlapdServer.run { directory in
            let store = Self.store(directory)
            #expect(Self.code(await store.authenticate(Self.basic(username, password))) == code)
            #expect(store.cachedCredentialCount == 0)
        }
    }

    @Test("A verified credential is served from the cache while the directory is down; anything else gets unavailable")
    func outage() async throws {
        let directory = try await SlapdServer.start()
        let store = Self.store(directory)
        #expect(Self.scopes(await store.authenticate(Self.basic("alice", "alice123"))) == ["admin", "staff"])
        await directory.stop()
        #expect(Self.scopes(await store.authenticate(Self.basic("alice", "alice123"))) == ["admin", "staff"])
        #expect(Self.code(await store.authenticate(Self.basic("alice", "wrong"))) == .providerUnavailable)
        #expect(Self.code(await store.authenticate(Self.basic("bob", "bob123"))) == .providerUnavailable)
        let again = try await directory.restarted()
        let recovered = await store.authenticate(Self.basic("bob", "bob123"))
        #expect(Self.scopes(recovered) == ["staff"], "\(recovered)")
        await again.stop()
    }

    @Test("The leftmost RDN value, with escaped commas kept")
    func leftmostValue() {
        #expect(LDAPUserStore.leftmostValue(of: "uid=alice,ou=people,dc=example,dc=com") == "alice")
        #expect(LDAPUserStore.leftmostValue(of: #"cn=Smith\, John,ou=people"#) == #"Smith\, John"#)
        #expect(LDAPUserStore.leftmostValue(of: "uid=solo") == "solo")
    }
}
