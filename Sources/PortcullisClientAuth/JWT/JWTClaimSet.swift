#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PortcullisConfig

/// The claims of a JWT to issue: the registered ones Ballerina's `JwtIssuerConfig` sets and any
/// custom claims.
public struct JWTClaimSet: Sendable, Equatable {
    /// `iss`.
    public var issuer: String?
    /// `sub`.
    public var subject: String?
    /// `aud`: written as a string when it has one value, as an array when it has more.
    public var audience: [String]
    /// `jti`.
    public var jwtID: String?
    /// `iat`, in whole seconds since 1970.
    public var issuedAt: Int64
    /// `nbf`.
    public var notBefore: Int64?
    /// `exp`.
    public var expiresAt: Int64
    /// Other claims. A custom claim named like a registered one that is set here is dropped: the
    /// registered value wins.
    public var custom: [String: ClaimValue]

    /// Claims valid from `now` (`iat` = `nbf` = now) for `lifetimeSeconds`.
    public init(
        issuer: String? = nil,
        subject: String? = nil,
        audience: [String] = [],
        jwtID: String? = nil,
        now: Date = Date(),
        lifetimeSeconds: Int64,
        custom: [String: ClaimValue] = [:]
    ) {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.jwtID = jwtID
        self.issuedAt = issuedAt
        self.notBefore = issuedAt
        self.expiresAt = issuedAt + lifetimeSeconds
        self.custom = custom
    }

    /// The claims as one JSON object: registered claims first, then custom ones.
    var members: [(String, ClaimValue)] {
        var registered: [(String, ClaimValue)] = []
        if let issuer { registered.append(("iss", .string(issuer))) }
        if let subject { registered.append(("sub", .string(subject))) }
        if self.audience.count == 1 {
            registered.append(("aud", .string(self.audience[0])))
        } else if !self.audience.isEmpty {
            registered.append(("aud", .array(self.audience.map(ClaimValue.string))))
        }
        if let jwtID { registered.append(("jti", .string(jwtID))) }
        registered.append(("iat", .number(Double(self.issuedAt))))
        if let notBefore { registered.append(("nbf", .number(Double(notBefore)))) }
        registered.append(("exp", .number(Double(self.expiresAt))))
        let names = Set(registered.map(\.0))
        let custom = self.custom.filter { !names.contains($0.key) }.sorted { $0.key < $1.key }
        return registered + custom.map { ($0.key, $0.value) }
    }
}
