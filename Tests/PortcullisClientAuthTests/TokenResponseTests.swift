import Testing

@testable import PortcullisClientAuth

/// Token endpoint answers (RFC 6749 §5.1, §5.2) read strictly: what is used is type-checked, and
/// error details are kept printable and short because they go to logs.
@Suite("Token response")
struct TokenResponseTests {
    static func parse(_ json: String) -> Result<TokenResponse, ClientAuthError> {
        do throws(ClientAuthError) {
            return .success(try TokenResponse.parse(Array(json.utf8)))
        } catch {
            return .failure(error)
        }
    }

    @Test("access_token, expires_in (number or numeric string) and refresh_token are read; token_type Bearer in any case")
    func valid() {
        #expect(Self.parse(#"{"access_token":"abc.DEF-123_~+/=","token_type":"Bearer","expires_in":3600,"refresh_token":"r1","scope":"read"}"#)
            == .success(TokenResponse(accessToken: "abc.DEF-123_~+/=", expiresIn: 3600, refreshToken: "r1")))
        #expect(Self.parse(#"{"access_token":"t","token_type":"bearer","expires_in":"120"}"#) == .success(TokenResponse(accessToken: "t", expiresIn: 120)))
        #expect(Self.parse(#"{"access_token":"t"}"#) == .success(TokenResponse(accessToken: "t")))
        #expect(Self.parse(#"{"access_token":"t","expires_in":null,"refresh_token":null}"#) == .success(TokenResponse(accessToken: "t")))
    }

    @Test("Unusable answers are refused with the reason", arguments: [
        ("[]", "not a JSON object"),
        ("not json", "not a JSON object"),
        (#"{"token_type":"Bearer"}"#, "no access_token"),
        (#"{"access_token":42}"#, "access_token is not a string"),
        (#"{"access_token":""}"#, "access_token is not a token that fits an Authorization header"),
        (#"{"access_token":"a b"}"#, "access_token is not a token that fits an Authorization header"),
        (#"{"access_token":"a\r\nX-Injected: 1"}"#, "access_token is not a token that fits an Authorization header"),
        (#"{"access_token":"t","token_type":"mac"}"#, "token_type is not Bearer"),
        (#"{"access_token":"t","expires_in":-5}"#, "expires_in is not a number of seconds"),
        (#"{"access_token":"t","expires_in":true}"#, "expires_in is not a number of seconds"),
        (#"{"access_token":"t","expires_in":"soon"}"#, "expires_in is not a number of seconds"),
        (#"{"access_token":"t","refresh_token":7}"#, "refresh_token is not a string"),
    ])
    func invalid(json: String, reason: String) {
        #expect(Self.parse(json) == .failure(.invalidResponse(reason)))
    }

    @Test("RFC 6749 §5.2 errors: the code and description, printable and at most 200 characters")
    func errors() {
        #expect(TokenResponse.error(in: Array(#"{"error":"invalid_client","error_description":"Client authentication failed"}"#.utf8))
            == ("invalid_client", "Client authentication failed"))
        let long = String(repeating: "x", count: 500)
        let (code, description) = TokenResponse.error(in: Array(#"{"error":"invalid_grant\u0007","error_description":"\#(long)\n"}"#.utf8))
        #expect(code == "invalid_grant" && description?.count == 200)
        #expect(TokenResponse.error(in: Array("<html>".utf8)) == (nil, nil))
        #expect(TokenResponse.error(in: Array(#"{"error":5}"#.utf8)) == (nil, nil))
    }

    @Test("Error descriptions name the status and code, and never carry what was sent")
    func descriptions() {
        #expect(ClientAuthError.refused(status: 401, error: "invalid_client", description: nil).description
            == "the token endpoint refused the request (HTTP 401, invalid_client)")
        #expect(ClientAuthError.backingOff(last: "the token endpoint could not be reached: refused", retryInSeconds: 1.2).description
            == "the token endpoint could not be reached: refused (next attempt in 2 s)")
    }
}
