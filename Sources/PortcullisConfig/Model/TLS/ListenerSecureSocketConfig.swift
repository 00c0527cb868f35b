/// `[listener.secureSocket]`: HTTPS on the gateway listener.
public struct ListenerSecureSocketConfig: Sendable, Equatable {
    /// The server's certificate chain and key.
    public var key: KeyConfig
    /// Client certificates, when asked for.
    public var mutualSsl: MutualSSLConfig?
    /// `protocol.versions`; default TLS 1.2 and 1.3.
    public var versions: [TLSVersion]
    /// `ciphers`: OpenSSL cipher-suite names for TLS 1.2; `nil` keeps the library's secure defaults.
    public var ciphers: [String]?
    /// Where `key` was written, so certificate errors found when loading can name it.
    public var keyLocation: ConfigLocation?

    public init(
        key: KeyConfig,
        mutualSsl: MutualSSLConfig? = nil,
        versions: [TLSVersion] = TLSVersion.allCases,
        ciphers: [String]? = nil,
        keyLocation: ConfigLocation? = nil
    ) {
        self.key = key
        self.mutualSsl = mutualSsl
        self.versions = versions
        self.ciphers = ciphers
        self.keyLocation = keyLocation
    }
}
