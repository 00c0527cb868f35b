import PortcullisConfig
import Testing

@testable import PortcullisAuth

@Suite("Auth policy")
struct AuthPolicyTests {
    static func store(pool: BlockingWorkPool = BlockingWorkPool(threads: 1, maximumQueued: 8)) throws -> FileUserStore {
        FileUserStore(
            users: [
                FileUserConfig(username: "alice", password: .plain("alice123"), scopes: ["write", "update"]),
                FileUserConfig(username: "bob", password: .plain("bob123"), scopes: ["read"]),
                FileUserConfig(username: "eve", password: .plain("eve123")),
                FileUserConfig(
                    username: "slow",
                    password: try StoredPassword.parse(PasswordHasher.hash("slow123", algorithm: .bcrypt, cost: 4)).get(),
                    scopes: ["read"]
                ),
            ],
            pool: pool
        )
    }

    static func basic(_ user: String, _ password: String) -> AuthRequest {
        AuthRequest(credential: .basic(BasicCredentials(username: user, password: password)))
    }

    @Test("an empty auth array is public")
    func publicPolicy() async {
        let decision = await AuthPolicy(entries: []).evaluate(AuthRequest(authorization: nil))
        #expect(decision.outcome == .allowed)
        #expect(decision.principal == nil)
    }

    @Test("any-of scopes: one shared scope authorizes", arguments: [
        ("alice", "alice123", PolicyDecision.Outcome.allowed),
        ("bob", "bob123", .forbidden),
        ("eve", "eve123", .forbidden),
        ("peter", "123", .unauthenticated),
        ("alice", "wrong", .unauthenticated),
    ])
    func scopes(user: String, password: String, outcome: PolicyDecision.Outcome) async throws {
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: try Self.store(), scopes: ["write", "update"])])
        let decision = await policy.evaluate(Self.basic(user, password))
        #expect(decision.outcome == outcome)
        #expect(decision.method == .basicFile)
    }

    @Test("an entry without scopes only authenticates")
    func authenticationOnly() async throws {
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: try Self.store(), scopes: nil)])
        #expect(await policy.evaluate(Self.basic("eve", "eve123")).outcome == .allowed)
    }

    @Test("a later entry may authorize what an earlier one forbade")
    func laterEntryAuthorizes() async throws {
        let store = try Self.store()
        let policy = AuthPolicy(entries: [
            AuthEntry(authenticator: store, scopes: ["write"]),
            AuthEntry(authenticator: store, scopes: ["read"]),
        ])
        let decision = await policy.evaluate(Self.basic("bob", "bob123"))
        #expect(decision.outcome == .allowed)
        #expect(decision.principal?.subject == "bob")
    }

    @Test("401 carries one challenge per accepted scheme, and never for a wrong scheme's credentials")
    func challenges() async throws {
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: try Self.store(), scopes: nil)])
        let missing = await policy.evaluate(AuthRequest(authorization: nil))
        #expect(missing.outcome == .unauthenticated)
        #expect(missing.challenges == [#"Basic realm="portcullis""#])
        #expect(missing.failures.map(\.code) == [.missingCredentials])
        let bearer = await policy.evaluate(AuthRequest(authorization: "Bearer abc"))
        #expect(bearer.outcome == .unauthenticated)
        #expect(bearer.challenges == [#"Basic realm="portcullis""#])
        let malformed = await policy.evaluate(AuthRequest(authorization: "Basic %%%"))
        #expect(malformed.outcome == .unauthenticated)
        #expect(malformed.failures.map(\.code) == [.malformedCredentials])
    }

    @Test("403 for Basic has no challenge")
    func forbiddenBasic() async throws {
        let policy = AuthPolicy(entries: [AuthEntry(authenticator: try Self.store(), scopes: ["admin"])])
        let decision = await policy.evaluate(Self.basic("alice", "alice123"))
        #expect(decision.outcome == .forbidden)
        #expect(decision.challenges.isEmpty)
        #expect(decision.principal?.subject == "alice")
    }

    @Test("an unavailable identity source wins over forbidden and unauthenticated")
    func unavailable() async throws {
        let cheap = try Self.store()
        let overloaded = try Self.store(pool: BlockingWorkPool(threads: 1, maximumQueued: 0))
        let policy = AuthPolicy(entries: [
            AuthEntry(authenticator: cheap, scopes: ["admin"]),
            AuthEntry(authenticator: overloaded, scopes: ["read"]),
        ])
        #expect(await policy.evaluate(Self.basic("slow", "slow123")).outcome == .unavailable)
        // ... but an entry that allows still wins.
        let allowing = AuthPolicy(entries: [
            AuthEntry(authenticator: overloaded, scopes: ["read"]),
            AuthEntry(authenticator: cheap, scopes: ["read"]),
        ])
        #expect(await allowing.evaluate(Self.basic("bob", "bob123")).outcome == .allowed)
    }
}
