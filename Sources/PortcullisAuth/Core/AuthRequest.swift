/// The parts of a request that authenticators look at, parsed once.
public struct AuthRequest: Sendable {
    /// What the `Authorization` header carried.
    public var credential: PresentedCredential
    /// The client certificate the TLS listener verified, if any.
    public var clientCertificate: ClientCertificate?

    public init(credential: PresentedCredential, clientCertificate: ClientCertificate? = nil) {
        self.credential = credential
        self.clientCertificate = clientCertificate
    }

    /// Parses the first `Authorization` header value, or `nil` when there is none.
    public init(authorization: String?, clientCertificate: ClientCertificate? = nil) {
        self.credential = authorization.map(PresentedCredential.parse) ?? .none
        self.clientCertificate = clientCertificate
    }
}
