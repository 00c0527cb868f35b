/// The parts of a request that authenticators look at, parsed once.
public struct AuthRequest: Sendable {
    /// What the `Authorization` header carried.
    public var credential: PresentedCredential

    public init(credential: PresentedCredential) {
        self.credential = credential
    }

    /// Parses the first `Authorization` header value, or `nil` when there is none.
    public init(authorization: String?) {
        self.credential = authorization.map(PresentedCredential.parse) ?? .none
    }
}
