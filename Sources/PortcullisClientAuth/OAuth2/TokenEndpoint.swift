import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisConfig
import PortcullisMetrics

/// One token endpoint (RFC 6749 §3.2) and how the client authenticates to it: builds the form,
/// puts the client credentials where `credentialBearer` says, posts it, reads the answer.
public struct TokenEndpoint: Sendable {
    public let url: String
    private let client: HTTPClient
    private let headers: HTTPHeaders
    private let credentialsInBody: [(name: String, value: String)]
    private let scope: String?
    private let optionalParams: [(name: String, value: String)]
    private let timeout: TimeAmount
    private let metrics: IdentityProviderMetrics

    /// - Parameters:
    ///   - config: the endpoint's URL, client credentials, scopes, parameters and client settings.
    ///   - client: the HTTP client that calls it (its TLS settings must be the config's).
    ///   - metrics: where `portcullis_idp_requests_total{kind="token"}` goes.
    public init(config: OAuth2TokenEndpointConfig, client: HTTPClient, metrics: PortcullisMetrics? = nil) {
        self.url = config.url
        self.client = client
        var headers = HTTPHeaders()
        for (name, value) in config.client.customHeaders.sorted(by: { $0.key < $1.key }) {
            headers.add(name: name, value: value)
        }
        headers.replaceOrAdd(name: "content-type", value: "application/x-www-form-urlencoded")
        headers.replaceOrAdd(name: "accept", value: "application/json")
        var credentialsInBody: [(name: String, value: String)] = []
        if let id = config.clientID, let secret = config.clientSecret {
            switch config.credentialBearer {
            case .authorizationHeader:
                // RFC 6749 §2.3.1: each part form-encoded before Basic.
                headers.replaceOrAdd(name: "authorization", value: StaticCredential.basicValue(username: id, password: secret, formEncoded: true))
            case .postBody:
                credentialsInBody = [("client_id", id), ("client_secret", secret)]
            }
        }
        self.headers = headers
        self.credentialsInBody = credentialsInBody
        let scopes = config.scopes.map { $0.trimmingASCIISpaces() }.filter { !$0.isEmpty }
        self.scope = scopes.isEmpty ? nil : scopes.joined(separator: " ")
        self.optionalParams = config.optionalParams.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.timeout = .nanoseconds(Int64(config.client.requestTimeoutSeconds * 1e9))
        self.metrics = IdentityProviderMetrics(kind: "token", metrics: metrics)
    }

    /// The HTTP client settings for calling token endpoints with `client`'s settings: `tls`, no
    /// redirects, its connect timeout, no connect retries (an outage fails fast and the token
    /// manager's backoff decides when to try again), no tracing.
    public static func clientConfiguration(_ client: IdentityProviderClientConfig, tls: TLSConfiguration?) -> HTTPClient.Configuration {
        IdentityProviderHTTPConfiguration.make(tls: tls, connectTimeoutSeconds: client.connectTimeoutSeconds, retriesConnections: false)
    }

    /// Requests a token with `grant` parameters (`grant_type` first, then the grant's own), the
    /// scope, the optional parameters and, with `POST_BODY_BEARER`, the client credentials.
    public func request(_ grant: [(name: String, value: String)], scope: Bool = true) async throws(ClientAuthError) -> TokenResponse {
        var form = grant
        if scope, let value = self.scope { form.append(("scope", value)) }
        form += self.optionalParams
        form += self.credentialsInBody
        var request = HTTPClientRequest(url: self.url)
        request.method = .POST
        request.headers = self.headers
        request.body = .bytes(ByteBuffer(string: FormURLEncoding.encode(form)))
        let started = ContinuousClock.now
        let result: Result<TokenResponse, ClientAuthError>
        let outcome: IdentityProviderMetrics.Outcome
        do {
            let response = try await self.client.execute(request, timeout: self.timeout)
            let body = Array(buffer: try await response.body.collect(upTo: TokenResponse.maximumBodySize))
            if (200..<300).contains(response.status.code) {
                do throws(ClientAuthError) {
                    result = .success(try TokenResponse.parse(body))
                    outcome = .success
                } catch {
                    result = .failure(error)
                    outcome = .error
                }
            } else {
                let (code, description) = TokenResponse.error(in: body)
                result = .failure(.refused(status: Int(response.status.code), error: code, description: description))
                outcome = .error
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            result = .failure(.unreachable("no answer within \(self.timeout.nanoseconds / 1_000_000) ms"))
            outcome = .unreachable
        } catch {
            result = .failure(.unreachable("\(error)"))
            outcome = .unreachable
        }
        self.metrics.record(outcome, duration: ContinuousClock.now - started)
        return try result.get()
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
