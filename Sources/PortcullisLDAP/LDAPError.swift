import PortcullisAuth
/// Why an LDAP operation failed.
public enum LDAPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The directory refused the credentials of a bind (result 49).
    case invalidCredentials
    /// The directory could not be reached, or did not answer in time: nobody can be decided.
    case unavailable(String)
    /// The directory answered with an error (a bad filter, no such base, ...).
    case failed(code: Int32, message: String)

    public var description: String {
        switch self {
        case .invalidCredentials: "invalid credentials"
        case .unavailable(let reason): "directory unavailable: \(reason)"
        case .failed(let code, let message): "LDAP error \(code): \(message)"
        }
    }
}
