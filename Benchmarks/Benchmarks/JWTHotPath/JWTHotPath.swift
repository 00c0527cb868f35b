import Benchmark
import BenchmarkSupport
import Crypto
import CryptoExtras
import Foundation
import Synchronization
@_spi(Benchmarks) import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import X509

/// The JWT hot path without sockets: a full verification per algorithm with the cache off (what a
/// new token costs, but for its cache key's SHA-256 and its insertion when a cache is kept), the
/// bare signature check underneath it (swift-crypto over BoringSSL, the
/// figure `Benchmarks/jwt-vs-openssl.sh` puts beside `openssl speed`), a cache hit, the 401
/// short-circuits, key lookup by `kid` and claim parsing against Foundation's JSON parser.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis()

    // As the gateway verifies (its principals drop the token's other claims), and once as a Swift
    // service through the Hummingbird middleware does by default (claims kept).
    let verifications = [JWTAlgorithmName.rs256, .ps256, .es256, .es384, .edDSA, .hs256].map { ($0, PrincipalClaims.dropped, "") }
        + [(.rs256, .kept, ".claimsKept")]
    for (algorithm, claims, suffix) in verifications {
        Benchmark("JWT.verify.\(algorithm.rawValue)\(suffix)", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
            let fixture = await JWTBenchFixture.shared(algorithm, cacheCapacity: 0, claims: claims)
            let request = AuthRequest(authorization: "Bearer " + fixture.token)
            guard case .authenticated = await fixture.authenticator.authenticate(request) else { fatalError("fixture token refused") }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await fixture.authenticator.authenticate(request))
            }
        }
    }

    // A new token with the cache on, as the gateway meets one: the cache probe misses, the token is
    // verified, then inserted (evicting the shard's oldest entry). 4,096 distinct tokens in turn
    // through a cache of 256 entries: each comes back long after it was evicted.
    Benchmark("JWT.miss.RS256.cacheOn", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
        let fixture = await JWTBenchFixture.shared(.rs256, cacheCapacity: 256)
        let requests = try fixture.distinctTokens(4096).map { AuthRequest(authorization: "Bearer " + $0) }
        guard case .authenticated = await fixture.authenticator.authenticate(requests[0]) else { fatalError("fixture token refused") }
        var next = 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await fixture.authenticator.authenticate(requests[next]))
            next = (next + 1) % requests.count
        }
    }

    // Made once, outside the closures below (each closure runs many times).
    let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    let p256Key = P256.Signing.PrivateKey()
    let p384Key = P384.Signing.PrivateKey()
    Benchmark("JWT.signature.RS256", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
        let key = rsaKey
        let message = Array(JWTBenchFixture.signingInput.utf8)
        let signature = try key.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
        let publicKey = key.publicKey
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(publicKey.isValidSignature(signature, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))
        }
    }

    Benchmark("JWT.signature.ES256", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
        let key = p256Key
        let message = Array(JWTBenchFixture.signingInput.utf8)
        let signature = try key.signature(for: SHA256.hash(data: message))
        let publicKey = key.publicKey
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(publicKey.isValidSignature(signature, for: SHA256.hash(data: message)))
        }
    }

    Benchmark("JWT.signature.ES384", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
        let key = p384Key
        let message = Array(JWTBenchFixture.signingInput.utf8)
        let signature = try key.signature(for: SHA384.hash(data: message))
        let publicKey = key.publicKey
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(publicKey.isValidSignature(signature, for: SHA384.hash(data: message)))
        }
    }

    // A cached token through the policy: allowed (its scope is required) and refused with 403.
    for (name, scope, outcome) in [
        ("Auth.jwt.cacheHit", "read", PolicyDecision.Outcome.allowed),
        ("Auth.403.jwtCached", "admin", .forbidden),
    ] {
        Benchmark(name) { benchmark in
            let fixture = await JWTBenchFixture.shared(.es256, cacheCapacity: 10_000)
            let policy = AuthPolicy(entries: [AuthEntry(authenticator: fixture.authenticator, scopes: [scope])])
            let authorization = "Bearer " + fixture.token
            guard await policy.evaluate(AuthRequest(authorization: authorization)).outcome == outcome else { fatalError("expected \(outcome)") }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await policy.evaluate(AuthRequest(authorization: authorization)))
            }
        }
    }

    for (name, authorization) in [
        ("malformed", "Bearer not-a-jwt"),
        ("algNone", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwiZXhwIjo0MTAyNDQ0ODAwfQ."),
    ] {
        Benchmark("Auth.401.jwt.\(name)") { benchmark in
            let fixture = await JWTBenchFixture.shared(.es256, cacheCapacity: 10_000)
            let policy = AuthPolicy(entries: [AuthEntry(authenticator: fixture.authenticator, scopes: ["read"])])
            guard await policy.evaluate(AuthRequest(authorization: authorization)).outcome == .unauthenticated else { fatalError("expected 401") }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await policy.evaluate(AuthRequest(authorization: authorization)))
            }
        }
    }

    Benchmark("JWT.keyLookup.kid16") { benchmark in
        var keys: [JWTVerificationKey] = []
        for index in 0..<16 {
            let key = P256.Signing.PrivateKey().publicKey
            keys.append(try await JWTVerificationKey.make(JWTPublicKey(Certificate.PublicKey(key)), keyID: "key-\(index)"))
        }
        let set = JWTKeySet(keys: keys)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(set.key(for: "key-15"))
        }
    }

    let payload = Array(JWTBenchFixture.payloadJSON.utf8)
    Benchmark("JWT.parse.claims") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONClaimsParser.parseObject(payload))
        }
    }

    // What a verification reads of the same payload: the registered claims and the scope, the
    // other members checked and skipped.
    let selection = JSONMemberSelection(["sub", "iss", "aud", "jti", "exp", "nbf", "scope"])
    Benchmark("JWT.parse.claims.selected") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONClaimsParser.parseObject(payload, selecting: selection))
        }
    }

    // The baseline for the first one above: Foundation's parser, which yields `Any` and keeps one of two
    // duplicate members instead of refusing them.
    let payloadData = Data(payload)
    Benchmark("JWT.parse.claims.foundation") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONSerialization.jsonObject(with: payloadData))
        }
    }
}

/// A token signed by Portcullis's own issuer and an authenticator holding the matching public key.
struct JWTBenchFixture: Sendable {
    let token: String
    let authenticator: JWTAuthenticator
    /// Signs more tokens like ``token``.
    let issuer: JWTIssuer

    /// `count` tokens like ``token``, each with its own `jti`.
    func distinctTokens(_ count: Int) throws -> [String] {
        try (0..<count).map { index in
            try self.issuer.sign(Self.claims(jwtID: "fresh-\(index)"))
        }
    }

    static func claims(jwtID: String) -> JWTClaimSet {
        JWTClaimSet(
            issuer: "https://idp.example.com/realms/main", subject: "f1b6c1e2-8d3a-4c55-9f0e-2b7d9a1c3e44",
            audience: ["orders", "billing"], jwtID: jwtID, lifetimeSeconds: 86_400,
            custom: ["scope": .string("read write orders:read"), "azp": .string("web-client")]
        )
    }

    /// A payload of typical size and shape (an access token from a common IdP).
    static let payloadJSON = """
        {"iss":"https://idp.example.com/realms/main","sub":"f1b6c1e2-8d3a-4c55-9f0e-2b7d9a1c3e44","aud":["orders","billing"],\
        "exp":4102444800,"nbf":1700000000,"iat":1700000000,"jti":"a8f9c0d1","scope":"read write orders:read",\
        "azp":"web-client","email_verified":true,"realm_access":{"roles":["user","offline_access"]}}
        """
    static let signingInput = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + Data(payloadJSON.utf8).base64EncodedString()

    private static let made = Mutex<[String: JWTBenchFixture]>([:])

    /// The fixture for `algorithm`, made once: package-benchmark runs a closure many times, and
    /// making an RSA key on every run would leave few samples.
    static func shared(_ algorithm: JWTAlgorithmName, cacheCapacity: Int, claims: PrincipalClaims = .dropped) async -> JWTBenchFixture {
        let name = "\(algorithm.rawValue)/\(cacheCapacity)/\(claims)"
        if let fixture = Self.made.withLock({ $0[name] }) { return fixture }
        let fixture = await Self.make(algorithm, cacheCapacity: cacheCapacity, claims: claims)
        Self.made.withLock { $0[name] = fixture }
        return fixture
    }

    private static func make(_ algorithm: JWTAlgorithmName, cacheCapacity: Int, claims: PrincipalClaims) async -> JWTBenchFixture {
        do {
            let signing: JWTSigningKey
            let verifying: JWTPublicKey
            switch algorithm {
            case .rs256, .ps256:
                let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
                signing = try JWTSigningKey(pem: key.pemRepresentation)
                verifying = try JWTPublicKey(Certificate.PublicKey(pemEncoded: key.publicKey.pemRepresentation))
            case .es256:
                let key = P256.Signing.PrivateKey()
                signing = try JWTSigningKey(pem: key.pemRepresentation)
                verifying = try JWTPublicKey(Certificate.PublicKey(key.publicKey))
            case .es384:
                let key = P384.Signing.PrivateKey()
                signing = try JWTSigningKey(pem: key.pemRepresentation)
                verifying = try JWTPublicKey(Certificate.PublicKey(key.publicKey))
            case .edDSA:
                let key = Curve25519.Signing.PrivateKey()
                signing = try JWTSigningKey(pem: key.pemRepresentation)
                verifying = try JWTPublicKey(Certificate.PublicKey(key.publicKey))
            default:
                let secret = "a-shared-secret-of-at-least-32-bytes"
                signing = try JWTSigningKey(secret: secret)
                verifying = JWTPublicKey(secret: secret)
            }
            let issuer = try await JWTIssuer.make(key: signing, algorithm: algorithm, keyID: "bench")
            let token = try issuer.sign(Self.claims(jwtID: "a8f9c0d1"))
            let keys = StaticJWTKeySource(JWTKeySet(keys: [try await JWTVerificationKey.make(verifying, keyID: "bench")]))
            let config = JWTValidatorConfig(
                signature: .secret("unused"), issuer: "https://idp.example.com/realms/main", audience: ["orders"],
                cache: .init(capacity: cacheCapacity)
            )
            return JWTBenchFixture(token: token, authenticator: JWTAuthenticator(config: config, keys: keys, claims: claims), issuer: issuer)
        } catch {
            fatalError("benchmark fixture: \(error)")
        }
    }
}
