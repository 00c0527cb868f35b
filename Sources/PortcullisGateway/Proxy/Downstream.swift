import PortcullisAuth

/// What the gateway knows about the client of a request it forwards.
struct Downstream: Sendable {
    /// The peer's IP address, for `x-forwarded-for`.
    var clientAddress: String?
    /// `http` or `https`, for `x-forwarded-proto`.
    var scheme: String
    /// Who the request was authenticated as, for the identity headers.
    var principal: Principal?
    /// The verified TLS client certificate, for `x-forwarded-client-cert`.
    var clientCertificate: ClientCertificate?
}
