import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisConfig
import PortcullisMetrics
import PortcullisTLS

/// An AsyncHTTPClient that adds client auth to every request: Basic, a bearer token, a
/// self-signed JWT or an OAuth2 access token that it obtains and renews by itself.
///
/// ```swift
/// let client = try await AuthenticatedHTTPClient(
///     auth: .oauth2(OAuth2GrantConfig(
///         grant: .clientCredentials,
///         endpoint: OAuth2TokenEndpointConfig(url: "https://idp.example.com/oauth2/token", clientID: "orders", clientSecret: secret))),
///     client: .shared)
/// let response = try await client.execute(HTTPClientRequest(url: "https://api.example.com/orders"), timeout: .seconds(10))
/// ```
///
/// A `401` answer to a request without a body makes the credential drop its token; the request
/// is sent once more when that gives a new one.
public struct AuthenticatedHTTPClient: Sendable {
    /// The client requests go through.
    public let client: HTTPClient
    /// What gives each request its `Authorization` header.
    public let credential: any OutboundCredential
    private let tokenClient: HTTPClient?

    /// Adds `credential` to requests sent through `client`.
    public init(client: HTTPClient, credential: any OutboundCredential) {
        self.client = client
        self.credential = credential
        self.tokenClient = nil
    }

    /// Reads the record's keys and builds its credential; an OAuth2 grant calls its token endpoint
    /// through a client of its own, with the record's `clientConfig` TLS settings (call
    /// ``shutdown()`` when done with it).
    ///
    /// - Throws: ``ConfigError`` when a key file or certificate of the record cannot be used.
    public init(
        auth: ClientAuthConfig,
        client: HTTPClient,
        metrics: PortcullisMetrics? = nil,
        logger: Logger = Logger(label: "portcullis.client-auth")
    ) async throws(ConfigError) {
        var material = TLSMaterial()
        var tokenClient: HTTPClient?
        if case .oauth2(let grant) = auth {
            var tls: TLSConfiguration?
            if let secureSocket = grant.endpoint.client.secureSocket {
                guard let built = ClientTLSConfiguration.make(secureSocket, material: &material) else {
                    throw ConfigError(diagnostics: material.diagnostics)
                }
                tls = built
            }
            tokenClient = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: TokenEndpoint.clientConfiguration(grant.endpoint.client, tls: tls)
            )
        }
        let credential = await OutboundCredentials.make(auth, client: tokenClient ?? client, material: &material, metrics: metrics, logger: logger)
        guard let credential, material.diagnostics.isEmpty else {
            try? await tokenClient?.shutdown()
            throw ConfigError(diagnostics: material.diagnostics)
        }
        self.client = client
        self.credential = credential
        self.tokenClient = tokenClient
    }

    /// Sends `request` with its credentials.
    ///
    /// - Throws: ``ClientAuthError`` when no credentials could be had (the request is not sent),
    ///   or what `HTTPClient.execute` throws.
    public func execute(_ request: HTTPClientRequest, timeout: TimeAmount, logger: Logger? = nil) async throws -> HTTPClientResponse {
        var request = request
        let authorization = try await self.credential.authorization()
        request.headers.replaceOrAdd(name: "authorization", value: authorization)
        let response = try await self.client.execute(request, timeout: timeout, logger: logger)
        guard response.status == .unauthorized, request.body == nil,
            let renewed = await self.credential.renewed(afterRejecting: authorization)
        else { return response }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        request.headers.replaceOrAdd(name: "authorization", value: renewed)
        return try await self.client.execute(request, timeout: timeout, logger: logger)
    }

    /// Closes the token endpoint client this made (not `client`).
    public func shutdown() async {
        try? await self.tokenClient?.shutdown()
    }
}
