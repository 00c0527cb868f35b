/// Asks an RFC 7662 introspection endpoint about a token: what ``IntrospectionAuthenticator``
/// calls on a cache miss.
///
/// The engine holds no HTTP client of its own; `IntrospectionEndpoint` (PortcullisAuthEngine, on
/// AsyncHTTPClient) is the one the gateway uses.
public protocol IntrospectionClient: Sendable {
    /// The endpoint's URL, named in failures.
    var url: String { get }
    /// Asks the endpoint about `token`.
    func introspect(_ token: String) async throws(IntrospectionFailure) -> IntrospectionAnswer
    /// Closes the client's connections; later calls fail as `unreachable`.
    func shutdown() async
}

/// Why an introspection call gave no usable answer.
public enum IntrospectionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not reached, or no answer in time.
    case unreachable(String)
    /// It answered with a status other than `200`.
    case status(UInt)
    /// It answered `200` with a body that is not a JSON object.
    case unusableAnswer(String)
    /// It answered about the token, but a member has the wrong type: the token is not
    /// authenticated (the server answered; this is not an outage).
    case invalidAnswer(String)
    /// Too many calls were already waiting.
    case overloaded

    public var description: String {
        switch self {
        case .unreachable(let reason): "unreachable: \(reason)"
        case .status(let code): "answered HTTP \(code)"
        case .unusableAnswer(let reason), .invalidAnswer(let reason): reason
        case .overloaded: "too many calls waiting"
        }
    }
}
