import AsyncHTTPClient
import Benchmark
import BenchmarkSupport
import Foundation
import NIOHTTP1
@_spi(Benchmarks) import PortcullisClientAuth
import PortcullisConfig

/// What outbound auth adds to each upstream request once its credential is at hand: the
/// `Authorization` value from each kind of credential (static Basic as the baseline, a bearer
/// token, a self-signed JWT signed once and reused, an OAuth2 token cached by its manager) set on
/// the request's headers, as the proxy does. Fetching a token is one HTTP exchange and is measured
/// end to end (`Benchmarks/e2e/run.sh`, the OAuth2 upstream auth row).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis()

    let credentials: [(String, @Sendable () async throws -> any OutboundCredential)] = [
        ("ClientAuth.basic", { StaticCredential.basic(username: "gateway", password: "gateway-secret") }),
        ("ClientAuth.bearer", { StaticCredential.bearer("0zSx5QO1id3lgJ5fHzpQB9Ewg6aIWa") }),
        ("ClientAuth.selfSignedJWT.RS256.cached", {
            let key = try JWTSigningKey.development()
            let issuer = try await JWTIssuer.make(key: key, algorithm: .rs256, keyID: "gw")
            return SelfSignedJWTCredential(
                config: JWTIssuerConfig(subject: "gateway", issuer: "portcullis", audience: ["orders"], expTimeSeconds: 3600),
                issuer: issuer
            )
        }),
        ("ClientAuth.oauth2.cached", {
            let manager = OAuth2TokenManager(
                config: OAuth2GrantConfig(
                    grant: .clientCredentials,
                    endpoint: OAuth2TokenEndpointConfig(url: "http://127.0.0.1:9/token", clientID: "gateway", clientSecret: "gateway-secret")
                ),
                client: .shared
            )
            manager.prime(accessToken: "0zSx5QO1id3lgJ5fHzpQB9Ewg6aIWa", lifetime: 86_400)
            return manager
        }),
    ]
    for (name, make) in credentials {
        Benchmark(name) { benchmark in
            let credential = try await make()
            var headers = HTTPHeaders([("accept", "application/json"), ("authorization", "Basic Y2xpZW50OnNlY3JldA==")])
            _ = try await credential.authorization()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                headers.replaceOrAdd(name: "authorization", value: try await credential.authorization())
            }
            blackHole(headers)
        }
    }
}
