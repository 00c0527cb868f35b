import Crypto
import Foundation
import NIOConcurrencyHelpers
import PortcullisConfig
import Testing
import X509

@_spi(Benchmarks) @testable import PortcullisAuth

/// The JWT authenticator alone, with a clock the tests move and HS256 tokens signed here with
/// swift-crypto's HMAC (not with jwt-kit, which the authenticator verifies with).
@Suite("JWT authenticator")
struct JWTAuthenticatorTests {
    static let secret = "unit-test-secret-that-is-32-bytes"

    static func token(_ claims: [String: Any], header: [String: Any] = ["alg": "HS256", "typ": "JWT"]) throws -> String {
        func encode(_ object: [String: Any]) throws -> String {
            Data(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).base64URL
        }
        let input = "\(try encode(header)).\(try encode(claims))"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(Self.secret.utf8)))
        return "\(input).\(Data(mac).base64URL)"
    }

    final class Clock: Sendable {
        private let seconds = NIOLockedValueBox<Double>(1_800_000_000)
        var now: Double { self.seconds.withLockedValue { $0 } }
        func advance(_ by: Double) { self.seconds.withLockedValue { $0 += by } }
    }

    static func authenticator(
        clock: Clock,
        keys: (any JWTKeySource)? = nil,
        claims: PrincipalClaims = .kept,
        cacheCapacity: Int = CacheSettingsConfig.defaultCapacity
    ) async throws -> JWTAuthenticator {
        let config = JWTValidatorConfig(signature: .secret(Self.secret), issuer: "unit", cache: .init(capacity: cacheCapacity))
        let source: any JWTKeySource
        if let keys {
            source = keys
        } else {
            source = StaticJWTKeySource(JWTKeySet(keys: [try await JWTVerificationKey.make(JWTPublicKey(secret: Self.secret))]))
        }
        return JWTAuthenticator(config: config, keys: source, claims: claims, clock: { clock.now })
    }

    @Test("An array scope claim: each element a scope, empty ones skipped")
    func arrayScopes() async throws {
        let clock = Clock()
        let token = try Self.token(["iss": "unit", "sub": "alice", "scope": ["", "read", ""], "exp": clock.now + 60])
        let authenticator = try await Self.authenticator(clock: clock)
        guard case .authenticated(let principal) = await authenticator.authenticate(AuthRequest(credential: .bearer(token: Substring(token)))) else {
            Issue.record("not authenticated")
            return
        }
        #expect(principal.scopes == ["read"])
    }

    @Test("Claims kept or dropped: the same subject and scopes either way; dropped, the principal (and its cache entry) holds no other claim")
    func principalClaims() async throws {
        let clock = Clock()
        let token = try Self.token(["iss": "unit", "sub": "alice", "scope": "read write", "tenant": "acme", "exp": clock.now + 60])
        let request = AuthRequest(credential: .bearer(token: Substring(token)))
        for (claims, expected) in [(PrincipalClaims.kept, ["iss", "sub", "tenant", "exp"]), (.dropped, [])] {
            let authenticator = try await Self.authenticator(clock: clock, claims: claims)
            for use in ["verified", "cached"] {
                guard case .authenticated(let principal) = await authenticator.authenticate(request) else {
                    Issue.record("\(claims), \(use): not authenticated")
                    continue
                }
                #expect(principal.subject == "alice" && principal.scopes == ["read", "write"], "\(claims), \(use)")
                #expect(principal.claims.keys.sorted() == expected.sorted(), "\(claims), \(use): \(principal.claims)")
            }
        }
    }

    @Test("With the cache off every use is verified again: valid until exp, refused from then on, nothing kept")
    func cacheOff() async throws {
        let clock = Clock()
        let authenticator = try await Self.authenticator(clock: clock, cacheCapacity: 0)
        let token = try Self.token(["iss": "unit", "sub": "alice", "scope": "read", "exp": clock.now + 60])
        let request = AuthRequest(credential: .bearer(token: Substring(token)))
        for use in 1...2 {
            guard case .authenticated(let principal)? = authenticator.authenticateImmediately(request) else {
                Issue.record("use \(use): not authenticated at once")
                return
            }
            #expect(principal.subject == "alice" && principal.scopes == ["read"], "use \(use)")
        }
        guard case .authenticated = await authenticator.resolve(request) else { Issue.record("resolve: not authenticated"); return }
        #expect(authenticator.cachedTokenCount == 0)
        // One signature character changed, away from the last one (whose low bits are padding).
        var bytes = Array(token.utf8)
        bytes[bytes.count - 10] = bytes[bytes.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let forged = String(decoding: bytes, as: UTF8.self)
        guard case .unauthenticated(let failure)? = authenticator.authenticateImmediately(AuthRequest(credential: .bearer(token: Substring(forged)))) else {
            Issue.record("a bad signature was not refused at once")
            return
        }
        #expect(failure.code == .jwtSignature)
        clock.advance(60)
        guard case .unauthenticated(let expired)? = authenticator.authenticateImmediately(request) else {
            Issue.record("accepted at exp")
            return
        }
        #expect(expired.code == .jwtClaims)
    }

    @Test("A cached token is never served at or after its exp, whatever the cache's own deadline")
    func cachedTokenExpires() async throws {
        let clock = Clock()
        let authenticator = try await Self.authenticator(clock: clock)
        let token = try Self.token(["iss": "unit", "sub": "alice", "exp": clock.now + 60])
        let request = AuthRequest(credential: .bearer(token: Substring(token)))
        let first = await authenticator.authenticate(request)
        guard case .authenticated = first else { Issue.record("first use: \(first)"); return }
        #expect(authenticator.cachedTokenCount == 1)
        clock.advance(59)
        guard case .authenticated = await authenticator.authenticate(request) else { Issue.record("cached use"); return }
        clock.advance(1)
        guard case .unauthenticated(let failure) = await authenticator.authenticate(request) else {
            Issue.record("served at exp")
            return
        }
        #expect(failure.code == .jwtClaims)
    }

    @Test("The algorithm comes from the key: a token naming another family is refused before any work")
    func algorithmFromKey() async throws {
        let authenticator = try await Self.authenticator(clock: Clock())
        for alg in ["RS256", "none", "HS256 ", "hs256", "ES256"] {
            let token = try Self.token(["iss": "unit"], header: ["alg": alg])
            guard case .unauthenticated(let failure) = await authenticator.authenticate(AuthRequest(credential: .bearer(token: Substring(token)))) else {
                Issue.record("\(alg) accepted")
                continue
            }
            #expect(failure.code == .jwtAlgorithm || failure.code == .jwtSignature, "\(alg): \(failure)")
        }
        let critical = try Self.token(["iss": "unit"], header: ["alg": "HS256", "crit": ["b64"], "b64": false])
        guard case .unauthenticated(let failure) = await authenticator.authenticate(AuthRequest(credential: .bearer(token: Substring(critical)))) else {
            Issue.record("crit accepted")
            return
        }
        #expect(failure.code == .malformedCredentials)
    }

    /// A key source that holds every miss until the test lets it answer, counting misses.
    final class SlowKeys: JWTKeySource {
        let misses = NIOLockedValueBox(0)
        let keys: JWTKeySet
        let released = AsyncStream<Void>.makeStream()

        init(keys: JWTKeySet) {
            self.keys = keys
        }

        var currentKeys: JWTKeySet { .empty }

        func keysAfterMiss(keyID: String?) async -> JWTKeyLookup {
            self.misses.withLockedValue { $0 += 1 }
            for await _ in self.released.stream { break }
            return .keys(self.keys)
        }
    }

    @Test("100 concurrent requests with one new token share one key lookup and one verification")
    func singleFlight() async throws {
        let keys = JWTKeySet(keys: [try await JWTVerificationKey.make(JWTPublicKey(secret: Self.secret))])
        let slow = SlowKeys(keys: keys)
        let clock = Clock()
        let authenticator = try await Self.authenticator(clock: clock, keys: slow)
        let token = try Self.token(["iss": "unit", "sub": "bob", "exp": clock.now + 60])
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    if case .authenticated = await authenticator.authenticate(AuthRequest(credential: .bearer(token: Substring(token)))) { true } else { false }
                }
            }
            // Release the lookup once; late arrivals find the cached result.
            while slow.misses.withLockedValue({ $0 }) == 0 { await Task.yield() }
            slow.released.continuation.yield()
            var results: [Bool] = []
            for await result in group { results.append(result) }
            #expect(results.count == 100 && results.allSatisfy { $0 })
        }
        #expect(slow.misses.withLockedValue { $0 } == 1)
    }

    /// A compact JWS signed with a P-384 key (ES384: r || s, 48 bytes each).
    static func es384Token(_ claims: [String: Any], key: P384.Signing.PrivateKey) throws -> String {
        func encode(_ object: [String: Any]) throws -> String {
            Data(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).base64URL
        }
        let input = "\(try encode(["alg": "ES384", "typ": "JWT"])).\(try encode(claims))"
        let signature = try key.signature(for: Data(input.utf8))
        return "\(input).\(signature.rawRepresentation.base64URL)"
    }

    @Test("A new token whose key is at hand is decided at once, valid or not; ES384 and a key still to fetch wait for resolve")
    func immediateVerification() async throws {
        let clock = Clock()
        let authenticator = try await Self.authenticator(clock: clock)
        let token = try Self.token(["iss": "unit", "sub": "bob", "exp": clock.now + 60])
        guard case .authenticated(let principal)? = authenticator.authenticateImmediately(AuthRequest(credential: .bearer(token: Substring(token)))) else {
            Issue.record("a valid HS256 token was not decided at once")
            return
        }
        #expect(principal.subject == "bob")
        #expect(authenticator.cachedTokenCount == 1)
        let forged = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        guard case .unauthenticated(let failure)? = authenticator.authenticateImmediately(AuthRequest(credential: .bearer(token: Substring(forged)))) else {
            Issue.record("a bad signature was not refused at once")
            return
        }
        #expect(failure.code == .jwtSignature)
        #expect(authenticator.cachedTokenCount == 1)

        // A key the snapshot lacks: only resolve may fetch it.
        let slow = SlowKeys(keys: JWTKeySet(keys: [try await JWTVerificationKey.make(JWTPublicKey(secret: Self.secret))]))
        let fetching = try await Self.authenticator(clock: clock, keys: slow)
        #expect(fetching.authenticateImmediately(AuthRequest(credential: .bearer(token: Substring(token)))) == nil)
        #expect(slow.misses.withLockedValue { $0 } == 0)

        // ES384: checked in a task, then cached like any other.
        let p384 = P384.Signing.PrivateKey()
        let key = try await JWTVerificationKey.make(JWTPublicKey(Certificate.PublicKey(p384.publicKey)))
        let es384 = JWTAuthenticator(
            config: JWTValidatorConfig(signature: .secret(Self.secret), issuer: "unit"),
            keys: StaticJWTKeySource(JWTKeySet(keys: [key])),
            clock: { clock.now }
        )
        let es384Token = try Self.es384Token(["iss": "unit", "sub": "carol", "exp": clock.now + 60], key: p384)
        let request = AuthRequest(credential: .bearer(token: Substring(es384Token)))
        #expect(es384.authenticateImmediately(request) == nil)
        guard case .authenticated(let carol) = await es384.resolve(request) else {
            Issue.record("the ES384 token was refused")
            return
        }
        #expect(carol.subject == "carol")
        #expect(es384.authenticateImmediately(request) != nil, "cached after its check")
    }

    @Test("Cached principals of different tokens with the same scopes share one scope list")
    func sharedScopeLists() async throws {
        let clock = Clock()
        let authenticator = try await Self.authenticator(clock: clock)
        var storages: Set<Int> = []
        for subject in ["ann", "bob", "cy"] {
            let token = try Self.token(["iss": "unit", "sub": subject, "scope": "read write", "exp": clock.now + 60])
            let request = AuthRequest(credential: .bearer(token: Substring(token)))
            _ = authenticator.authenticateImmediately(request)
            guard case .authenticated(let cached)? = authenticator.authenticateImmediately(request) else {
                Issue.record("\(subject): not cached")
                return
            }
            #expect(cached.subject == subject && cached.scopes == ["read", "write"])
            storages.insert(cached.scopes.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) })
        }
        #expect(storages.count == 1, "one array for the three cached principals")
    }

    @Test("JSON claims: duplicate members, deep nesting, trailing data and bad escapes are refused")
    func strictJSON() {
        let deep = #"{"x":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        let refused = [
            #"{"a":1,"a":2}"#, deep, #"{"a":1} x"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":01}"#, #"{"a":1.}"#,
            "{\"a\":\"\u{01}\"}", #"[1]"#, #"{"a":tru}"#, #"{"a":1"#, "",
        ]
        for text in refused {
            #expect(throws: JSONClaimsParser.Failure.self, "\(text)") { try JSONClaimsParser.parseObject(Array(text.utf8)) }
        }
        let parsed = try? JSONClaimsParser.parseObject(Array(#"{"s":"a\"b\u00e9\ud83d\ude00","n":-1.5e3,"b":[true,false,null],"o":{}}"#.utf8))
        #expect(parsed?["s"] == .string("a\"bé😀"))
        #expect(parsed?["n"] == .number(-1500))
        #expect(parsed?["b"] == .array([.bool(true), .bool(false), .null]))
        #expect(parsed?["o"] == .object([:]))
    }
}

extension Data {
    var base64URL: String {
        self.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
