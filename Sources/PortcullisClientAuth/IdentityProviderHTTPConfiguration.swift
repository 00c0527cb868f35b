import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The AsyncHTTPClient settings every identity-provider call shares (JWKS, introspection and
/// token endpoints): its TLS, no redirects, the connect timeout, no tracing.
public enum IdentityProviderHTTPConfiguration {
    /// - Parameter retriesConnections: `false` fails a request at once when the connection cannot
    ///   be established. By default AsyncHTTPClient retries with backoff until each waiting
    ///   request's deadline, so every request of an outage would wait its whole timeout.
    public static func make(tls: TLSConfiguration?, connectTimeoutSeconds: Double, retriesConnections: Bool = true) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeoutSeconds * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = retriesConnections
        configuration.tracing.tracer = nil
        return configuration
    }
}
