/// Ballerina's `ClientSecureSocket`: how the gateway verifies a server it calls (an upstream, a JWKS
/// or introspection endpoint, a token endpoint) and which certificate it shows to it.
///
/// One type for every outbound TLS connection, so an upstream and an identity provider are configured
/// the same way and get the same safe defaults.
public struct ClientSecureSocketConfig: Sendable, Hashable {
    /// `cert`: the only CAs the server may chain to; `nil` trusts the system roots.
    public var cert: TrustConfig?
    /// `key`: the client certificate and key for mutual TLS; `nil` sends none.
    public var key: KeyConfig?
    /// `disable = true`: no verification of the server at all (a warning is logged at start).
    public var disable: Bool
    /// Where `cert` and `key` were written, so certificate errors found when loading can name them.
    /// Not part of equality: two services with the same settings share one client.
    public var certLocation: ConfigLocation?
    public var keyLocation: ConfigLocation?

    public init(
        cert: TrustConfig? = nil,
        key: KeyConfig? = nil,
        disable: Bool = false,
        certLocation: ConfigLocation? = nil,
        keyLocation: ConfigLocation? = nil
    ) {
        self.cert = cert
        self.key = key
        self.disable = disable
        self.certLocation = certLocation
        self.keyLocation = keyLocation
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.cert == rhs.cert && lhs.key == rhs.key && lhs.disable == rhs.disable
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.cert)
        hasher.combine(self.key)
        hasher.combine(self.disable)
    }
}
