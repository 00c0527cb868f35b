/// One entry of an `auth` array: an authenticator and the scopes it requires.
public struct AuthEntry: Sendable {
    public let authenticator: any Authenticator
    /// Any-of scopes; `nil` means the entry only authenticates.
    public let scopes: [String]?

    public init(authenticator: any Authenticator, scopes: [String]?) {
        self.authenticator = authenticator
        self.scopes = scopes
    }
}
