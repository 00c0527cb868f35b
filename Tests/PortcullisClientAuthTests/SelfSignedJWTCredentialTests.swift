import Foundation
import PortcullisConfig
import Synchronization
import Testing

@testable import PortcullisClientAuth

/// A self-signed JWT is signed once and reused until shortly before it expires, on a clock the test moves.
@Suite("Self-signed JWT credential")
struct SelfSignedJWTCredentialTests {
    final class ManualClock: Sendable {
        private let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: @Sendable () -> Date { { self.date.withLock { $0 } } }
        func advance(by seconds: Double) { self.date.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func claims(_ header: String) throws -> [String: Any] {
        let payload = String(header.dropFirst("Bearer ".count).split(separator: ".")[1])
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("Reused for the first nine tenths of a 300 s lifetime, signed again after; iat, nbf and exp follow the clock")
    func renewal() async throws {
        let clock = ManualClock()
        let issuer = try await JWTIssuer.make(key: try JWTSigningKey.development(), algorithm: .rs256, keyID: "gw")
        let credential = SelfSignedJWTCredential(
            config: JWTIssuerConfig(subject: "gateway", issuer: "portcullis", audience: ["orders"], expTimeSeconds: 300),
            issuer: issuer,
            now: clock.now
        )
        let first = try await credential.authorization()
        clock.advance(by: 269)
        #expect(try await credential.authorization() == first)
        clock.advance(by: 2)
        let second = try await credential.authorization()
        #expect(second != first)
        let claims = try Self.claims(second)
        #expect(claims["iat"] as? Int == 1_800_000_271 && claims["nbf"] as? Int == 1_800_000_271 && claims["exp"] as? Int == 1_800_000_571)
        #expect(claims["iss"] as? String == "portcullis" && claims["sub"] as? String == "gateway" && claims["aud"] as? String == "orders")
    }

    @Test("NONE: header.payload, alg none, no signature part, kid kept")
    func unsecured() async throws {
        let credential = SelfSignedJWTCredential(config: JWTIssuerConfig(issuer: "portcullis", keyID: "k1"), issuer: nil)
        let header = try await credential.authorization()
        let parts = header.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 2)
        var base64 = String(parts[0])
        while base64.count % 4 != 0 { base64 += "=" }
        #expect(String(decoding: try #require(Data(base64Encoded: base64)), as: UTF8.self) == #"{"alg":"none","typ":"JWT","kid":"k1"}"#)
    }
}
