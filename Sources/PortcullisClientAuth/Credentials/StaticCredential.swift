import ExtrasBase64

/// Fixed credentials: HTTP Basic (`CredentialsConfig`) or a bearer token (`BearerTokenConfig`).
/// The header value is built once.
public struct StaticCredential: OutboundCredential, CustomStringConvertible {
    private let value: String
    public let description: String

    /// `Basic base64(username:password)` (RFC 7617), or with each part form-encoded first when
    /// they are OAuth2 client credentials (RFC 6749 §2.3.1: servers decode them, so a secret's `+`
    /// would otherwise arrive as a space).
    public static func basic(username: String, password: String, formEncoded: Bool = false) -> StaticCredential {
        StaticCredential(value: Self.basicValue(username: username, password: password, formEncoded: formEncoded), description: "Basic \(username)")
    }

    /// The `Authorization` value of ``basic(username:password:formEncoded:)``.
    static func basicValue(username: String, password: String, formEncoded: Bool) -> String {
        let pair = formEncoded ? FormURLEncoding.encode(username) + ":" + FormURLEncoding.encode(password) : "\(username):\(password)"
        return "Basic " + Base64.encodeToString(bytes: Array(pair.utf8))
    }

    /// `Bearer <token>` (RFC 6750).
    public static func bearer(_ token: String) -> StaticCredential {
        StaticCredential(value: "Bearer " + token, description: "a bearer token")
    }

    private init(value: String, description: String) {
        self.value = value
        self.description = description
    }

    public func authorization() async throws(ClientAuthError) -> String {
        self.value
    }

    public func immediateAuthorization() -> String? {
        self.value
    }
}
