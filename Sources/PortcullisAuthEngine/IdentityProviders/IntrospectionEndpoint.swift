import AsyncHTTPClient
import DequeModule
import ExtrasBase64
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics

/// One introspection endpoint and the pool of connections to it.
///
/// The actor owns an AsyncHTTPClient (its connection pool, TLS settings and connect timeout) and
/// admits at most ``defaultConcurrentCalls`` calls at once, queueing up to ``defaultQueuedCalls``
/// more; a call beyond that is refused at once as `overloaded`, so a burst of new tokens cannot
/// pile unbounded work onto the identity provider. Each call, queueing included, ends by the
/// configured request timeout. The HTTP exchange itself runs outside the actor.
///
/// The request is RFC 7662 §2.1's: `POST`, `application/x-www-form-urlencoded`, `token`, then
/// `token_type_hint` and the optional parameters, every value form-encoded; the gateway's own
/// credentials go in `Authorization`. Only a `200` with a JSON object is an answer.
public actor IntrospectionEndpoint: IntrospectionClient {
    /// Calls in flight at once; also the client's connection limit to the endpoint.
    public static let defaultConcurrentCalls = 64
    /// Calls waiting for one in flight to end, beyond which calls are refused.
    public static let defaultQueuedCalls = 1024

    /// Why a call gave no usable answer.
    public typealias Failure = IntrospectionFailure

    /// The endpoint's URL.
    public nonisolated let url: String
    private nonisolated let client: HTTPClient
    private nonisolated let headers: HTTPHeaders
    private nonisolated let parametersAfterToken: String
    private nonisolated let timeout: TimeAmount
    private nonisolated let scopeKey: String
    private nonisolated let metrics: IdentityProviderMetrics
    /// The gateway's credentials for the call (`clientConfig.auth`).
    private nonisolated let credential: (any OutboundCredential)?
    private let logger: Logger
    private let concurrentCalls: Int
    private let queuedCalls: Int

    private var inUse = 0
    private var waiting: Deque<CheckedContinuation<Bool, Never>> = []
    private var failing = false

    /// - Parameters:
    ///   - config: the endpoint, its parameters and its `clientConfig`.
    ///   - tls: TLS settings for an `https` endpoint (`nil`: the system's trust roots).
    ///   - eventLoopGroup: what the client runs on.
    ///   - metrics: where `kind="introspection"` calls are counted.
    ///   - concurrentCalls: calls in flight at once.
    ///   - queuedCalls: calls waiting, beyond which calls are refused.
    ///   - credential: gives each call its `Authorization` when `clientConfig.auth` is an OAuth2
    ///     grant (its token is renewed by itself; a `401` makes it drop the token). Basic
    ///     credentials (form-encoded first, as OAuth2 client credentials) and bearer tokens are
    ///     taken from `config`.
    public init(
        config: IntrospectionConfig,
        tls: TLSConfiguration?,
        eventLoopGroup: any EventLoopGroup,
        metrics: PortcullisMetrics?,
        logger: Logger,
        concurrentCalls: Int = IntrospectionEndpoint.defaultConcurrentCalls,
        queuedCalls: Int = IntrospectionEndpoint.defaultQueuedCalls,
        credential: (any OutboundCredential)? = nil
    ) {
        // Basic and bearer come from the config; a grant's token manager is handed in.
        self.credential = credential ?? IdentityProviderCredential.fixed(config.client.auth, formEncodedBasic: true)
        self.concurrentCalls = max(1, concurrentCalls)
        self.queuedCalls = max(0, queuedCalls)
        // No connect retries: every request of an outage gets its 503 at once, not at its timeout.
        var configuration = IdentityProviderHTTPConfiguration.make(
            tls: tls,
            connectTimeoutSeconds: config.client.connectTimeoutSeconds,
            retriesConnections: false
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, concurrentCalls)
        self.client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        self.url = config.url
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        headers.add(name: "accept", value: "application/json")
        for (name, value) in config.client.customHeaders.sorted(by: { $0.key < $1.key }) {
            headers.add(name: name, value: value)
        }
        self.headers = headers
        var parameters: [(name: String, value: String)] = []
        if let hint = config.tokenTypeHint { parameters.append(("token_type_hint", hint)) }
        for (name, value) in config.optionalParams.sorted(by: { $0.key < $1.key }) {
            parameters.append((name, value))
        }
        self.parametersAfterToken = parameters.isEmpty ? "" : "&" + FormURLEncoding.encode(parameters)
        self.timeout = .milliseconds(Int64(config.client.requestTimeoutSeconds * 1000))
        self.scopeKey = config.scopeKey
        self.metrics = IdentityProviderMetrics(kind: "introspection", metrics: metrics)
        self.logger = logger
    }

    /// Asks the endpoint about `token`.
    public nonisolated func introspect(_ token: String) async throws(Failure) -> IntrospectionAnswer {
        let deadline = NIODeadline.now() + self.timeout
        guard await self.admit() else { throw .overloaded }
        let result = await self.call(token, deadline: deadline)
        await self.finish(result)
        return try result.get()
    }

    /// The HTTP body for `token`.
    private nonisolated func body(for token: String) -> String {
        "token=" + FormURLEncoding.encode(token) + self.parametersAfterToken
    }

    private nonisolated func call(_ token: String, deadline: NIODeadline) async -> Result<IntrospectionAnswer, Failure> {
        guard NIODeadline.now() < deadline else {
            return .failure(.unreachable("no connection free within the request timeout"))
        }
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: self.url)
        request.method = .POST
        request.headers = self.headers
        request.body = .bytes(ByteBuffer(string: self.body(for: token)))
        var authorization: String?
        if let credential = self.credential {
            do throws(ClientAuthError) {
                authorization = try await credential.authorization()
            } catch {
                return .failure(.unreachable("no token for the introspection call: \(error)"))
            }
            request.headers.replaceOrAdd(name: "authorization", value: authorization ?? "")
        }
        let outcome: IdentityProviderMetrics.Outcome
        let result: Result<IntrospectionAnswer, Failure>
        do {
            let response = try await self.client.execute(request, deadline: deadline, logger: nil)
            if response.status == .ok {
                let body = try await response.body.collect(upTo: IntrospectionAnswer.maximumBodySize)
                do throws(IntrospectionAnswer.Failure) {
                    result = .success(try IntrospectionAnswer.parse(Array(buffer: body), scopeKey: self.scopeKey))
                    outcome = .success
                } catch {
                    // A well-formed answer with a wrongly typed member is the server's word on
                    // this token; a body that is no JSON object at all is the server failing.
                    if case .wrongType = error {
                        result = .failure(.invalidAnswer("\(error)"))
                        outcome = .success
                    } else {
                        result = .failure(.unusableAnswer("\(error)"))
                        outcome = .error
                    }
                }
            } else {
                _ = try? await response.body.collect(upTo: 4096)
                if response.status == .unauthorized, let credential = self.credential, let authorization {
                    // The token was revoked or expired early: the next call gets a new one.
                    await credential.rejected(authorization)
                }
                result = .failure(.status(response.status.code))
                outcome = .error
            }
        } catch {
            result = .failure(.unreachable("\(error)"))
            outcome = .unreachable
        }
        self.metrics.record(outcome, duration: ContinuousClock.now - started)
        return result
    }

    private func admit() async -> Bool {
        if self.inUse < self.concurrentCalls {
            self.inUse += 1
            return true
        }
        guard self.waiting.count < self.queuedCalls else { return false }
        return await withCheckedContinuation { self.waiting.append($0) }
    }

    /// Hands the call's slot to the next waiter, and logs when the endpoint starts or stops failing.
    private func finish(_ result: Result<IntrospectionAnswer, Failure>) {
        if let next = self.waiting.popFirst() {
            next.resume(returning: true)
        } else {
            self.inUse -= 1
        }
        switch result {
        case .success, .failure(.invalidAnswer):
            if self.failing {
                self.failing = false
                self.logger.info("introspection endpoint answers again", metadata: ["url": "\(self.url)"])
            }
        case .failure(let failure):
            if !self.failing {
                self.failing = true
                self.logger.warning(
                    "introspection endpoint failing; tokens not cached get 503 until it answers",
                    metadata: ["url": "\(self.url)", "reason": "\(failure)"]
                )
            }
        }
    }

    /// Calls in flight and waiting.
    package var load: (inFlight: Int, waiting: Int) { (self.inUse, self.waiting.count) }

    /// Closes the client's connections.
    public func shutdown() async {
        try? await self.client.shutdown()
    }
}
