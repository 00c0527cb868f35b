/// One `[[ballerina.auth.users]]` entry of the file user store.
public struct FileUserConfig: Sendable, Equatable {
    public var username: String
    public var password: StoredPassword
    /// The user's scopes; `nil` when the entry has none (Ballerina omits them too).
    public var scopes: [String]?

    public init(username: String, password: StoredPassword, scopes: [String]? = nil) {
        self.username = username
        self.password = password
        self.scopes = scopes
    }
}
