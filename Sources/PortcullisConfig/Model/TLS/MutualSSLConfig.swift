/// `listener.secureSocket.mutualSsl`: whether and how clients present certificates.
public struct MutualSSLConfig: Sendable, Equatable {
    public enum VerifyClient: String, Sendable, Equatable {
        /// The handshake fails without a client certificate that chains to ``MutualSSLConfig/cert``.
        case require = "REQUIRE"
        /// A client certificate is verified when sent; without one the request goes on to the auth policy.
        case optional = "OPTIONAL"
    }

    public var verifyClient: VerifyClient
    /// The only CAs client certificates may chain to (never the system roots).
    public var cert: TrustConfig
    /// Where `cert` was written, so certificate errors found when loading can name it.
    public var certLocation: ConfigLocation?

    public init(verifyClient: VerifyClient = .require, cert: TrustConfig, certLocation: ConfigLocation? = nil) {
        self.verifyClient = verifyClient
        self.cert = cert
        self.certLocation = certLocation
    }
}
