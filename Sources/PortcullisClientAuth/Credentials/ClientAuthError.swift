/// Why an outgoing request could not be given its credentials. Descriptions never hold a secret:
/// no password, client secret, token or key material.
public enum ClientAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token endpoint answered with an error (RFC 6749 §5.2 `error`, when it sent one).
    case refused(status: Int, error: String?, description: String?)
    /// The token endpoint could not be reached or did not answer in time.
    case unreachable(String)
    /// The token endpoint answered 2xx with something that is not a usable token response.
    case invalidResponse(String)
    /// A self-signed JWT could not be made.
    case signing(String)
    /// Not asked again yet: the last token request failed less than the backoff ago.
    case backingOff(last: String, retryInSeconds: Double)

    public var description: String {
        switch self {
        case .refused(let status, let error, let description):
            "the token endpoint refused the request (HTTP \(status)\(error.map { ", \($0)" } ?? "")\(description.map { ": \($0)" } ?? ""))"
        case .unreachable(let reason):
            "the token endpoint could not be reached: \(reason)"
        case .invalidResponse(let reason):
            "the token endpoint's answer is not a usable token response: \(reason)"
        case .signing(let reason):
            "cannot sign the JWT: \(reason)"
        case .backingOff(let last, let seconds):
            "\(last) (next attempt in \(Int(seconds.rounded(.up))) s)"
        }
    }
}
