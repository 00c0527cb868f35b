/// Something that gives an outgoing request its `Authorization` header: fixed credentials, a
/// self-signed JWT, or an OAuth2 access token it obtains and renews by itself.
///
/// Implementations are safe to share between any number of concurrent requests, and answer from
/// memory whenever they can: only a missing or expiring token costs a call to the token endpoint,
/// and concurrent callers then share that one call.
public protocol OutboundCredential: Sendable {
    /// The value of the `Authorization` header for the next request.
    func authorization() async throws(ClientAuthError) -> String

    /// The value of the `Authorization` header when it is at hand without waiting (fixed
    /// credentials, a cached token, a self-signed JWT still fresh); `nil` when only
    /// ``authorization()`` can tell (a token to fetch, a failure to report).
    ///
    /// Called on event loops: it takes at most one uncontended lock and never blocks.
    func immediateAuthorization() -> String?

    /// The upstream answered `401` to a request carrying `authorization`: forget it if it is still
    /// the current one, so the next ``authorization()`` obtains a new one. Fixed credentials ignore this.
    func rejected(_ authorization: String) async

    /// Whether ``rejected(_:)`` can lead to different credentials (a new token), so a refused
    /// request is worth sending again.
    var renewsOnRejection: Bool { get }
}

extension OutboundCredential {
    public func rejected(_ authorization: String) async {}
    public func immediateAuthorization() -> String? { nil }
    public var renewsOnRejection: Bool { false }

    /// After a `401` to a request that carried `authorization`: tells the credential, and returns
    /// the credentials to send the request with once more, or `nil` when there are none new (fixed
    /// credentials, a token dropped too recently, or no token to be had).
    public func renewed(afterRejecting authorization: String) async -> String? {
        guard self.renewsOnRejection else { return nil }
        await self.rejected(authorization)
        guard let renewed = try? await self.authorization(), renewed != authorization else { return nil }
        return renewed
    }
}

/// When credentials with a lifetime (OAuth2 tokens, self-signed JWTs) are renewed.
enum RenewalMargin {
    /// How long before expiry a credential living `lifetime` seconds is renewed: the last tenth of
    /// its life, at most a minute.
    static func seconds(forLifetime lifetime: Double) -> Double {
        min(lifetime / 10, 60)
    }
}
