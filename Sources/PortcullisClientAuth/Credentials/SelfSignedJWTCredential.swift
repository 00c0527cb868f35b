#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PortcullisConfig
import Synchronization

/// A JWT the client signs itself (Ballerina's `JwtIssuerConfig`), carrying `iss`, `sub`, `aud`,
/// `jti` when configured, `iat`, `nbf`, `exp` and the custom claims, with `kid` in the header.
///
/// Ballerina signs a new token for every request; this one is signed once and reused until
/// shortly before it expires (the last tenth of its life, at most a minute), then signed again by
/// the first request that notices, under the lock, so exactly one signature per renewal.
public final class SelfSignedJWTCredential: OutboundCredential, CustomStringConvertible {
    private let issuer: JWTIssuer?
    private let config: JWTIssuerConfig
    private let current = Mutex<(header: String, renewAt: Date)?>(nil)
    private let now: @Sendable () -> Date
    public var description: String { "a self-signed JWT (\(self.config.signature))" }

    /// - Parameters:
    ///   - config: the claims and lifetime.
    ///   - issuer: signs the tokens; `nil` makes unsecured ones (`alg` none).
    ///   - now: the wall clock (`iat`, `exp`).
    public init(config: JWTIssuerConfig, issuer: JWTIssuer?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.issuer = issuer
        self.now = now
    }

    public func authorization() async throws(ClientAuthError) -> String {
        try self.currentHeader()
    }

    public func immediateAuthorization() -> String? {
        try? self.currentHeader()
    }

    /// The current header, signed anew first when it is close to expiry.
    private func currentHeader() throws(ClientAuthError) -> String {
        let now = self.now()
        return try self.current.withLock { (current) throws(ClientAuthError) -> String in
            if let current, now < current.renewAt { return current.header }
            let lifetime = Int64(self.config.expTimeSeconds.rounded(.up))
            let claims = JWTClaimSet(
                issuer: self.config.issuer,
                subject: self.config.subject,
                audience: self.config.audience,
                jwtID: self.config.jwtID,
                now: now,
                lifetimeSeconds: lifetime,
                custom: self.config.customClaims
            )
            let token: String
            do throws(JWTIssuerError) {
                if let issuer = self.issuer {
                    token = try issuer.sign(claims)
                } else {
                    token = try JWTIssuer.unsecured(claims, keyID: self.config.keyID)
                }
            } catch {
                throw .signing(error.description)
            }
            let ahead = RenewalMargin.seconds(forLifetime: Double(lifetime))
            let header = "Bearer " + token
            current = (header, now.addingTimeInterval(Double(lifetime) - ahead))
            return header
        }
    }
}
