/// `[service.upstreamClient]`: how the gateway calls a service's upstream.
public struct UpstreamClientConfig: Sendable, Equatable {
    /// The whole upstream exchange must finish within this many seconds, else `504`.
    public var timeoutSeconds: Double

    public init(timeoutSeconds: Double = 30) {
        self.timeoutSeconds = timeoutSeconds
    }
}
