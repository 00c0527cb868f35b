/// Something that gives an outgoing request its `Authorization` header: fixed credentials, a
/// self-signed JWT, or an OAuth2 access token it obtains and renews by itself.
///
/// Implementations are safe to share between any number of concurrent requests, and answer from
/// memory whenever they can: only a missing or expiring token costs a call to the token endpoint,
/// and concurrent callers then share that one call.
public protocol OutboundCredential: Sendable {
    /// The value of the `Authorization` header for the next request.
    func authorization() async throws(ClientAuthError) -> String

    /// The upstream answered `401` to a request carrying `authorization`: forget it if it is still
    /// the current one, so the next ``authorization()`` obtains a new one. Fixed credentials ignore this.
    func rejected(_ authorization: String) async

    /// Whether ``rejected(_:)`` can lead to different credentials (a new token), so a refused
    /// request is worth sending again.
    var renewsOnRejection: Bool { get }
}

extension OutboundCredential {
    public func rejected(_ authorization: String) async {}
    public var renewsOnRejection: Bool { false }
}
