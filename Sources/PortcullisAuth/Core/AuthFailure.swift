/// Why an authenticator did not authenticate a request, for logs.
///
/// A failure has a stable ``code`` to assert and aggregate on and a ``reason`` for people.
/// Reasons never carry passwords or whole tokens; they are never sent to clients.
public struct AuthFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        public init(_ name: String) {
            self.name = name
        }

        public var description: String { self.name }

        public static let missingCredentials = Code("missing_credentials")
        public static let malformedCredentials = Code("malformed_credentials")
        public static let unknownUser = Code("unknown_user")
        public static let wrongPassword = Code("wrong_password")
        public static let overloaded = Code("overloaded")
        public static let providerUnavailable = Code("provider_unavailable")
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(self.code): \(self.reason)" }
}
