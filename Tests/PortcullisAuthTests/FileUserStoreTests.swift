import NIOCore
import PortcullisConfig
import PortcullisMetrics
import Testing

@testable import PortcullisAuth

@Suite("File user store")
struct FileUserStoreTests {
    static func users() throws -> [FileUserConfig] {
        [
            FileUserConfig(
                username: "alice",
                password: try StoredPassword.parse(PasswordHasher.hash("alice123", algorithm: .bcrypt, cost: 4)).get(),
                scopes: ["hello"]
            ),
            FileUserConfig(username: "bob", password: try StoredPassword.parse(PasswordHasher.hash("bob123", algorithm: .sha256)).get()),
        ]
    }

    static func request(_ user: String, _ password: String) -> AuthRequest {
        AuthRequest(credential: .basic(BasicCredentials(username: user, password: password)))
    }

    @Test("valid credentials give a principal with the user's scopes")
    func authenticates() async throws {
        let store = FileUserStore(users: try Self.users(), pool: BlockingWorkPool(threads: 1, maximumQueued: 8))
        let alice = await store.authenticate(Self.request("alice", "alice123"))
        #expect(alice == .authenticated(Principal(subject: "alice", scopes: ["hello"], method: .basicFile)))
        let bob = await store.authenticate(Self.request("bob", "bob123"))
        #expect(bob == .authenticated(Principal(subject: "bob", scopes: [], method: .basicFile)))
    }

    @Test("wrong passwords and unknown users are unauthenticated, with distinct codes")
    func refuses() async throws {
        let store = FileUserStore(users: try Self.users(), pool: BlockingWorkPool(threads: 1, maximumQueued: 8))
        guard case .unauthenticated(let wrong) = await store.authenticate(Self.request("alice", "nope")) else {
            Issue.record("a wrong password authenticated")
            return
        }
        #expect(wrong.code == .wrongPassword)
        #expect(!wrong.reason.contains("nope"))
        guard case .unauthenticated(let unknown) = await store.authenticate(Self.request("dave", "123")) else {
            Issue.record("an unknown user authenticated")
            return
        }
        #expect(unknown.code == .unknownUser)
        guard case .unauthenticated = await store.authenticate(AuthRequest(credential: .bearer(token: "abc"))) else {
            Issue.record("a bearer token authenticated against the file store")
            return
        }
    }

    @Test("a verified credential is cached: bcrypt runs once, not once per request")
    func cachesVerifiedCredentials() async throws {
        let pool = BlockingWorkPool(threads: 1, maximumQueued: 8)
        let metrics = PortcullisMetrics()
        let store = FileUserStore(users: try Self.users(), metrics: metrics, pool: pool)
        let alice = Principal(subject: "alice", scopes: ["hello"], method: .basicFile)
        for _ in 0..<5 {
            #expect(await store.authenticate(Self.request("alice", "alice123")) == .authenticated(alice))
        }
        #expect(pool.completedJobs == 1)
        #expect(store.cachedCredentialCount == 1)
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(exposition.contains(#"portcullis_cache_lookups_total{cache="basic_file",result="hit"} 4"#))
        #expect(exposition.contains(#"portcullis_cache_lookups_total{cache="basic_file",result="miss"} 1"#))
        #expect(exposition.contains(#"portcullis_cache_entries{cache="basic_file"} 1"#))
    }

    @Test("wrong passwords are not cached: each attempt is checked again")
    func doesNotCacheFailures() async throws {
        let pool = BlockingWorkPool(threads: 1, maximumQueued: 8)
        let store = FileUserStore(users: try Self.users(), pool: pool)
        for _ in 0..<3 {
            _ = await store.authenticate(Self.request("alice", "wrong"))
        }
        #expect(pool.completedJobs == 3)
        #expect(store.cachedCredentialCount == 0)
    }

    @Test("an unknown name costs a bcrypt run at the store's cost, as a wrong password does; a store without bcrypt users answers at once")
    func unknownUserCostsAVerification() async throws {
        let pool = BlockingWorkPool(threads: 1, maximumQueued: 8)
        let store = FileUserStore(users: try Self.users(), pool: pool)
        #expect(store.authenticateImmediately(Self.request("nobody", "x")) == nil, "decided at once: faster than a wrong password")
        guard case .unauthenticated(let failure) = await store.authenticate(Self.request("nobody", "x")) else {
            Issue.record("an unknown user authenticated")
            return
        }
        #expect(failure.code == .unknownUser)
        #expect(pool.completedJobs == 1)
        _ = await store.authenticate(Self.request("alice", "wrong"))
        #expect(pool.completedJobs == 2)
        #expect(store.cachedCredentialCount == 0)

        let cheap = FileUserStore(
            users: [FileUserConfig(username: "bob", password: try StoredPassword.parse(PasswordHasher.hash("bob123", algorithm: .sha256)).get())],
            pool: pool
        )
        #expect(cheap.authenticateImmediately(Self.request("nobody", "x")) != nil)
    }

    @Test("concurrent misses for one credential share a single bcrypt run")
    func singleFlight() async throws {
        let pool = BlockingWorkPool(threads: 2, maximumQueued: 256)
        let store = FileUserStore(users: try Self.users(), pool: pool)
        let results = await withTaskGroup(of: AuthenticationResult.self) { group in
            for _ in 0..<64 {
                group.addTask { await store.authenticate(Self.request("alice", "alice123")) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 64)
        #expect(results.allSatisfy { if case .authenticated = $0 { true } else { false } })
        #expect(pool.completedJobs == 1)
    }

    @Test("a full verification queue answers unavailable instead of queueing without bound")
    func overload() async throws {
        let store = FileUserStore(users: try Self.users(), pool: BlockingWorkPool(threads: 1, maximumQueued: 0))
        guard case .unavailable(let failure) = await store.authenticate(Self.request("alice", "alice123")) else {
            Issue.record("an overloaded pool did not answer unavailable")
            return
        }
        #expect(failure.code == .overloaded)
    }

    @Test("cached credentials expire after their time to live")
    func cacheExpiry() async throws {
        let pool = BlockingWorkPool(threads: 1, maximumQueued: 8)
        let store = FileUserStore(
            users: try Self.users(),
            cache: .init(capacity: 10, timeToLive: .zero),
            pool: pool
        )
        _ = await store.authenticate(Self.request("alice", "alice123"))
        _ = await store.authenticate(Self.request("alice", "alice123"))
        #expect(pool.completedJobs == 2)
    }
}
