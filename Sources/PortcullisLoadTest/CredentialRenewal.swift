import NIOCore

/// A class whose credential expires during a run, and where its current one comes from: an
/// OAuth2 token manager, say, that renews its token shortly before expiry.
///
/// While the run goes on, ``LoadTest`` asks `current` every `interval`, on a task of its own and
/// never on a request's way. When the fields it gives differ from the class's, every event loop
/// sends them from its next request on (the requests' bytes are built once per renewal). A
/// request already on the wire keeps the credential it left with.
public struct CredentialRenewal: Sendable {
    /// The class (``RequestClass/name``) whose fields are renewed.
    public var className: String
    /// How often `current` is asked.
    public var interval: TimeAmount
    /// The header fields the class should send now, each replacing the class's field of that
    /// name (e.g. `("authorization", "Bearer …")`); `nil` when the source has none (it failed,
    /// and says so itself): the class keeps what it has.
    public var current: @Sendable () async -> [(String, String)]?

    public init(
        className: String,
        interval: TimeAmount = .milliseconds(100),
        current: @escaping @Sendable () async -> [(String, String)]?
    ) {
        self.className = className
        self.interval = interval
        self.current = current
    }
}

extension RequestClass {
    /// This class with `fields` replacing its header fields of the same names (compared without
    /// case), and added where it has none.
    func renewing(_ fields: [(String, String)]) -> RequestClass {
        var renewed = self
        for (name, value) in fields {
            if let index = renewed.headers.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) {
                renewed.headers[index] = (name, value)
            } else {
                renewed.headers.append((name, value))
            }
        }
        return renewed
    }
}
